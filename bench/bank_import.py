"""How many bank statement lines a second `import_bank_statement` records on PostgreSQL.

Seeds an open offer with unpaid applications, then imports a statement of LINES lines in which
MATCHED of them pay an application exactly and the rest are the account's other traffic
(rent, direct debits, unknown references), as a society's current account looks.

Usage: DATABASE_URL=postgres://postgres@127.0.0.1:5432/test python bench/bank_import.py [LINES [MATCHED]]
It creates and drops its own throwaway database (<name>_bench), never touching the named one.
"""

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/test")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from bench.throwaway_db import throwaway_postgres  # noqa: E402
from investors.applications.services import apply_for_shares  # noqa: E402
from investors.models import Application, BankStatementLine  # noqa: E402
from investors.payments.bank_import import import_bank_statement  # noqa: E402
from tests import factories  # noqa: E402
from tests.factories import gbp  # noqa: E402


def statement(lines: int, applications: list[Application]) -> str:
    rows = ["Date,Reference,Amount,Counterparty"]
    for application in applications:
        rows.append(f"2026-11-21,{application.payment_reference} SHARES,{application.amount.amount},MEMBER")
    for n in range(lines - len(applications)):
        kind = n % 3
        if kind == 0:
            rows.append(f"2026-11-{1 + n % 28:02d},CARD SALE {n},{10 + n % 90}.{n % 100:02d},TILL")
        elif kind == 1:
            rows.append(f"2026-11-{1 + n % 28:02d},DIRECT DEBIT {n},-{5 + n % 40}.10,SUPPLIER")
        else:
            rows.append(f"2026-11-{1 + n % 28:02d},CS-ZZZZ{n % 10000:04d},25.00,UNKNOWN")
    return "\n".join(rows) + "\n"


def main(lines: int, matched: int) -> None:
    with throwaway_postgres("bank_import"):
        offer = factories.OpenOfferFactory(
            maximum_target=gbp(10_000_000), maximum_per_investor=gbp(10_000), minimum_per_investor=gbp(1)
        )
        applications = [
            apply_for_shares(
                offer=offer,
                holder=factories.HolderFactory(),
                payment_method=Application.PaymentMethod.BANK_TRANSFER,
                shares=10 + n % 50,
            )
            for n in range(matched)
        ]
        text = statement(lines, applications)
        started = time.perf_counter()
        result = import_bank_statement(society=offer.society, text=text, source_name="bench.csv")
        elapsed = time.perf_counter() - started
        assert BankStatementLine.objects.count() == lines, BankStatementLine.objects.count()
        paid = Application.objects.filter(state=Application.State.PAID).count()
        print(f"{lines:,} lines ({matched:,} paying an application, {len(text) / 1e6:.1f} MB)")
        print(f"  {elapsed:.2f} s, {lines / elapsed:,.0f} lines/s; {paid:,} applications paid")
        print(f"  {result.summary()}")


if __name__ == "__main__":
    arguments = [int(a) for a in sys.argv[1:]]
    main(*(arguments + [10_000, 500][len(arguments) :]))
