from django.db import migrations

from shares.chain import append_only_trigger


class Migration(migrations.Migration):
    """On PostgreSQL the database itself refuses to change or delete a decision entry."""

    dependencies = [("governance", "0001_initial")]
    operations = [
        append_only_trigger(
            table="governance_decisionentry",
            function="governance_decision_append_only",
            what="The decision record is append-only: its entries",
        )
    ]
