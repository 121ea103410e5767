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
