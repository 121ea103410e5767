"""The application form's one-time token moves from an audit entry of its own ("application.form_sent")
onto the application it made, as a unique column: the same form sent again is then found in the
statement that locks the holder, and the database itself refuses a second application with it.
Tokens recorded before keep working: they are copied from those entries."""

from django.db import migrations, models

FORM_SENT = "application.form_sent"


def copy_tokens_from_the_audit_trail(apps, schema_editor):
    database = schema_editor.connection.alias
    AuditEntry = apps.get_model("capital", "AuditEntry")
    Application = apps.get_model("investors", "Application")
    tokens, seen = {}, set()
    for data in AuditEntry.objects.using(database).filter(action=FORM_SENT).values_list("data", flat=True):
        token, application = (data or {}).get("form_token"), (data or {}).get("application")
        if isinstance(token, str) and isinstance(application, int) and token not in seen:
            tokens[application] = token
            seen.add(token)
    applications = list(Application.objects.using(database).filter(pk__in=tokens, form_token__isnull=True))
    for application in applications:
        application.form_token = tokens[application.pk]
    Application.objects.using(database).bulk_update(applications, ["form_token"], batch_size=1000)


class Migration(migrations.Migration):
    dependencies = [
        ("investors", "0020_allauth_email_addresses"),
        ("capital", "0009_society_minimum_member_age"),
    ]

    operations = [
        migrations.AddField(
            model_name="application",
            name="form_token",
            field=models.CharField(
                blank=True,
                editable=False,
                help_text="The one-time token of the site's form that made this application: the same "
                "form sent again is shown this application instead of making another.",
                max_length=64,
                null=True,
                unique=True,
            ),
        ),
        migrations.RunPython(copy_tokens_from_the_audit_trail, migrations.RunPython.noop),
    ]
