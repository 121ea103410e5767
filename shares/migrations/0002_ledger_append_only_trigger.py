from django.db import migrations

from shares.chain import append_only_trigger


class Migration(migrations.Migration):
    """On PostgreSQL the database itself refuses to change or delete a ledger entry.

    (SQLite relies on the model and queryset guards: a trigger there would also fire on the
    test runner's table flushes.)
    """

    dependencies = [("shares", "0001_initial")]
    operations = [
        append_only_trigger(
            table="shares_ledgerentry",
            function="shares_ledger_append_only",
            what="The share register is append-only: ledger entries",
        )
    ]
