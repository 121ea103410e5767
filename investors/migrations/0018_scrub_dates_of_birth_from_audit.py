"""Audit entries written before dates of birth were kept out of them held the old and new date
in plain JSON. The audit table is an ordinary one (not append-only, not hash-chained), so the
dates are overwritten in place with the words used since; nothing else in the entry changes."""

from django.db import migrations

UNRECORDED = "changed (not recorded)"


def scrub_dates_of_birth(apps, schema_editor):
    AuditEntry = apps.get_model("capital", "AuditEntry")
    entries = AuditEntry.objects.using(schema_editor.connection.alias).filter(action="holder.corrected")
    for entry in entries.iterator():
        changes = (entry.data or {}).get("changes")
        if isinstance(changes, dict) and changes.get("date_of_birth", UNRECORDED) != UNRECORDED:
            changes["date_of_birth"] = UNRECORDED
            entry.save(update_fields=["data"])


class Migration(migrations.Migration):
    dependencies = [
        ("investors", "0017_encrypt_personal_data"),
        ("capital", "0009_society_minimum_member_age"),
    ]

    operations = [migrations.RunPython(scrub_dates_of_birth, migrations.RunPython.noop)]
