from django.db import connection

from tests.conftest import run_raw_sql


def tamper(sql, params=()):
    """Change the ledger behind the application's back, as an attacker with database access could.

    On PostgreSQL the append-only trigger would stop this, so replica mode switches it off
    for this one transaction.
    """
    if connection.vendor == "postgresql":
        run_raw_sql("SET LOCAL session_replication_role = replica")
    run_raw_sql(sql, params)


def delete_entry(sequence: int):
    """Remove a ledger entry, and the certificates that point at it, as an attacker would."""
    tamper(
        "DELETE FROM shares_certificate WHERE ledger_entry_id IN "
        "(SELECT id FROM shares_ledgerentry WHERE sequence = %s)",
        [sequence],
    )
    tamper("DELETE FROM shares_ledgerentry WHERE sequence = %s", [sequence])
