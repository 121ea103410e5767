"""A throwaway PostgreSQL database for a benchmark: created on entry, dropped on exit, and
named `<name>_bench` so that a test run beside the benchmark is never disturbed."""

import contextlib
import sys

from django.db import connection
from django.test.utils import setup_test_environment


@contextlib.contextmanager
def throwaway_postgres(bench_name: str):
    if connection.vendor != "postgresql":
        sys.exit(f"{bench_name} measures PostgreSQL: set DATABASE_URL to a PostgreSQL database.")
    setup_test_environment()
    connection.settings_dict.setdefault("TEST", {})["NAME"] = f"{connection.settings_dict['NAME']}_bench"
    name = connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        yield name
    finally:
        connection.creation.destroy_test_db(name, verbosity=0)
