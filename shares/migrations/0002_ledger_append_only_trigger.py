from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION shares_ledger_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'The share register is append-only: ledger entries cannot be %.',
        CASE TG_OP WHEN 'UPDATE' THEN 'changed' ELSE 'deleted' END USING ERRCODE = 'restrict_violation';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER shares_ledger_append_only
    BEFORE UPDATE OR DELETE ON shares_ledgerentry
    FOR EACH ROW EXECUTE FUNCTION shares_ledger_append_only();
"""

DROP = """
DROP TRIGGER IF EXISTS shares_ledger_append_only ON shares_ledgerentry;
DROP FUNCTION IF EXISTS shares_ledger_append_only();
"""


def on_postgresql(sql):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql, params=None)

    return run


class Migration(migrations.Migration):
    """On PostgreSQL the database itself refuses to change or delete a ledger entry.

    (SQLite relies on the model and queryset guards: a trigger there would also fire on the
    test runner's table flushes.)
    """

    dependencies = [("shares", "0001_initial")]
    operations = [migrations.RunPython(on_postgresql(CREATE), on_postgresql(DROP))]
