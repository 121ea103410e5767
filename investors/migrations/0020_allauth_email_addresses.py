"""Sign-up and verification moved onto django-allauth, which lets an account log in only with a
verified `EmailAddress`. Every active account with an address in `email` (verified by our own
link before, or typed in by the board) gets it as its verified, primary address, so investors
and board members keep logging in. An account that signed up and still waits for its old link
becomes allauth's waiting sign-up (an unverified address, switched on: it still has no password,
so it cannot log in), so that signing up again or asking for a new link sends one."""

from django.conf import settings
from django.db import migrations


def give_addresses(apps, schema_editor):
    User = apps.get_model(*settings.AUTH_USER_MODEL.split("."))
    EmailAddress = apps.get_model("account", "EmailAddress")
    verified = {
        email.lower() for email in EmailAddress.objects.filter(verified=True).values_list("email", flat=True)
    }
    for user in User.objects.filter(is_active=True).exclude(email="").order_by("pk"):
        email = user.email.strip().lower()
        if email in verified:
            continue  # another account proved it first: two accounts cannot share a login address
        EmailAddress.objects.filter(user=user, primary=True).exclude(email=email).update(primary=False)
        EmailAddress.objects.update_or_create(
            user=user, email=email, defaults={"verified": True, "primary": True}
        )
        verified.add(email)
    waiting = User.objects.filter(
        is_active=False, email="", last_login__isnull=True, password__startswith="!"
    )
    for user in waiting.order_by("pk"):
        email = user.username.strip().lower()
        if "@" not in email or EmailAddress.objects.filter(email=email).exists():
            continue
        EmailAddress.objects.create(user=user, email=email, verified=False, primary=True)
        user.is_active = True
        user.save(update_fields=["is_active"])


class Migration(migrations.Migration):
    dependencies = [
        ("investors", "0019_card_still_to_take"),
        ("account", "0009_emailaddress_unique_primary_email"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [migrations.RunPython(give_addresses, migrations.RunPython.noop)]
