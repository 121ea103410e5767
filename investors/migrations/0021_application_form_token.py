"""The application form's one-time token moves from an audit entry of its own ("application.form_sent")
onto the application it made, as a unique column: the same form sent again is then found with the
holder's lock, and the database itself refuses a second application with it. Tokens recorded
before keep working: they are copied from those entries, streamed in batches, before the unique
index is built."""

from django.db import migrations, models

FORM_SENT = "application.form_sent"
BATCH = 1000
TOKEN_LENGTH = 64


def copy_tokens_from_the_audit_trail(apps, schema_editor):
    database = schema_editor.connection.alias
    AuditEntry = apps.get_model("capital", "AuditEntry")
    Application = apps.get_model("investors", "Application")
    recorded = (
        AuditEntry.objects.using(database)
        .filter(action=FORM_SENT)
        .order_by("pk")
        .values_list("data__form_token", "data__application")
    )
    seen, batch = set(), {}
    for token, application in recorded.iterator(chunk_size=BATCH):
        usable = isinstance(token, str) and 0 < len(token) <= TOKEN_LENGTH and isinstance(application, int)
        if usable and token not in seen and application not in batch:
            seen.add(token)
            batch[application] = token
        if len(batch) >= BATCH:
            _write(Application, database, batch)
            batch = {}
    _write(Application, database, batch)


def _write(Application, database, tokens):
    applications = list(Application.objects.using(database).filter(pk__in=tokens, form_token=""))
    for application in applications:
        application.form_token = tokens[application.pk]
    Application.objects.using(database).bulk_update(applications, ["form_token"])


class Migration(migrations.Migration):
    dependencies = [
        ("capital", "0009_society_minimum_member_age"),
        ("investors", "0020_allauth_email_addresses"),
    ]

    operations = [
        migrations.AddField(
            model_name="application",
            name="form_token",
            field=models.CharField(
                blank=True,
                default="",
                editable=False,
                help_text="The one-time token of the site's form that made this application: the same "
                "form sent again is shown this application instead of making another.",
                max_length=TOKEN_LENGTH,
            ),
        ),
        migrations.RunPython(copy_tokens_from_the_audit_trail, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="application",
            constraint=models.UniqueConstraint(
                fields=("form_token",),
                condition=~models.Q(form_token=""),
                name="application_made_once_per_form",
            ),
        ),
    ]
