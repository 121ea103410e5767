"""How long a distribution run takes on the real register, and how much memory it needs.

For 1,000, 10,000 and 100,000 holdings of one investor class, each with a £1-share issue on
the ledger: `start_run` (read the year-end capital from the ledger in one grouped query, carry
what the year before paid, run the engine, write a line per holding) and `approve_run` (re-check,
then cancel through the register every holding the year capped). The terms are the busy ones:
capital × days weighting, a 12% rate ceiling, a 1.5× cap and redistribution; year 1 is seeded as
approved with a tenth of the holdings close to their cap, so year 2 caps about that many.
Holdings are issued over three years, so some join in year 2 part-way through.

Each figure is one run inside a transaction that is rolled back afterwards, so every
measurement starts from the same register; peak memory is a second run under tracemalloc.

Usage: DATABASE_URL=postgres://postgres@127.0.0.1:5432/test python bench/distribution_run.py
It creates and drops its own throwaway database (<name>_bench), never touching the named one.
Seeding uses bulk inserts (the ledger's hashes are placeholders: nothing here verifies them).
"""

import datetime
import hashlib
import os
import random
import sys
import time
import tracemalloc
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/test")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.db import connection, transaction  # noqa: E402
from django.db.models import Sum  # noqa: E402
from django.utils import timezone  # noqa: E402

from bench.throwaway_db import throwaway_postgres  # noqa: E402
from capital.models import ReturnSchedule  # noqa: E402
from capital.returns import Terms  # noqa: E402
from investors.models import DistributionLine, DistributionRun  # noqa: E402
from investors.runs.services import approve_run, start_run  # noqa: E402
from shares.models import Holder, Holding, LedgerEntry  # noqa: E402
from tests import factories  # noqa: E402
from tests.factories import gbp  # noqa: E402

SIZES = tuple(int(size) for size in os.environ.get("BENCH_SIZES", "1000,10000,100000").split(","))
BATCH = 5_000
FIRST_YEAR_END = datetime.date(2024, 3, 31)
YEAR1_START = datetime.date(2023, 4, 1)
YEAR2_END = datetime.date(2025, 3, 31)
ISSUED_FROM = datetime.date(2022, 4, 1)
NEAR_CAP = Decimal("1.45")  # a tenth of the holdings were paid this multiple in year 1
YEAR1_MULTIPLE = Decimal("0.10")


class Rollback(Exception):
    pass


def seed(size: int):
    """A society whose investor class has `size` holdings, each one issue on the ledger, and an
    approved year 1 run that left a tenth of them near their 1.5× cap."""
    rng = random.Random(size)
    society = factories.SocietyFactory()
    share_class = factories.InvestorClassFactory(society=society)
    schedule = ReturnSchedule.objects.create(
        share_class=share_class,
        first_year_end=FIRST_YEAR_END,
        pool_percent=Decimal("30"),
        weighting="capital_days",
        rate_ceiling_percent=Decimal("12"),
        cap_multiple=Decimal("1.5"),
        excess="redistribute",
    )
    holders = Holder.objects.bulk_create(
        [
            Holder(
                name=f"Bench investor {size}-{index}",
                email=f"bench{size}-{index}@example.org",
                postal_address="1 Mill Lane, Hebden Bridge HX7 8AA",
                date_of_birth=datetime.date(1980, 1, 1),
            )
            for index in range(size)
        ],
        batch_size=BATCH,
    )
    span = (YEAR2_END - ISSUED_FROM).days - 30
    issues = [
        (holder, rng.randint(50, 20_000), ISSUED_FROM + datetime.timedelta(days=rng.randint(0, span)))
        for holder in holders
    ]
    now = timezone.now()
    LedgerEntry.objects.bulk_create(
        [
            LedgerEntry(
                society=society,
                sequence=index + 1,
                kind=LedgerEntry.Kind.ISSUE,
                holder=holder,
                share_class=share_class,
                shares=pounds,
                amount=gbp(pounds),
                effective_date=issued_on,
                recorded_at=now,
                previous_hash=_placeholder_hash(society.pk, index),
                entry_hash=_placeholder_hash(society.pk, index + 1),
            )
            for index, (holder, pounds, issued_on) in enumerate(issues)
        ],
        batch_size=BATCH,
    )
    holdings = Holding.objects.bulk_create(
        [
            Holding(
                holder=holder,
                share_class=share_class,
                shares=pounds,
                amount_paid=gbp(pounds),
                first_issued_on=on,
            )
            for holder, pounds, on in issues
        ],
        batch_size=BATCH,
    )
    _seed_year_one(share_class, schedule, holdings, rng)
    return share_class


def _seed_year_one(share_class, schedule, holdings, rng) -> None:
    lines = []
    for holding in holdings:
        if holding.first_issued_on > FIRST_YEAR_END:
            continue
        capital = holding.amount_paid.amount
        multiple = NEAR_CAP if rng.random() < 0.1 else YEAR1_MULTIPLE
        paid = (capital * multiple).quantize(Decimal("0.01"))
        lines.append((holding, capital, paid))
    total = sum((paid for _, _, paid in lines), Decimal("0"))
    run = DistributionRun.objects.create(
        share_class=share_class,
        year=1,
        starts_on=YEAR1_START,
        ends_on=FIRST_YEAR_END,
        surplus=gbp(total * 10 / 3),
        terms=Terms.from_schedule(schedule).to_record(),
        ledger_sequence=len(holdings),
        state=DistributionRun.State.APPROVED,
        pool=gbp(total),
        paid=gbp(total),
        retained=gbp(0),
        redeemed=gbp(0),
        approved_at=timezone.now(),
        approved_on=FIRST_YEAR_END + datetime.timedelta(days=1),
    )
    DistributionLine.objects.bulk_create(
        [
            DistributionLine(
                run=run,
                holding=holding,
                holder_id=holding.holder_id,
                capital=capital,
                days_held=365,
                paid=paid,
                redeemed=0,
                cumulative=paid,
                status="active",
                cash=paid,
            )
            for holding, capital, paid in lines
        ],
        batch_size=BATCH,
    )


def _placeholder_hash(society_id: int, sequence: int) -> str:
    if sequence == 0:
        return LedgerEntry.GENESIS_HASH
    return hashlib.sha256(f"bench {society_id} {sequence}".encode()).hexdigest()


def year_two_surplus(share_class) -> Decimal:
    """A surplus whose pool is about a tenth of the class's capital."""
    capital = Holding.objects.filter(share_class=share_class).aggregate(total=Sum("amount_paid"))["total"]
    return (capital * Decimal("0.10") * 10 / 3).quantize(Decimal("1"))


def measured(work, *, traced: bool):
    """Seconds (or peak MiB under tracemalloc) of `work()`, rolled back afterwards."""
    if traced:
        tracemalloc.start()
    started = time.perf_counter()
    try:
        with transaction.atomic():
            result = work()
            elapsed = time.perf_counter() - started
            peak = tracemalloc.get_traced_memory()[1] / 2**20 if traced else None
            raise Rollback
    except Rollback:
        pass
    finally:
        if traced:
            tracemalloc.stop()
    return (peak if traced else elapsed), result


def bench(size: int) -> tuple:
    share_class = seed(size)
    surplus = year_two_surplus(share_class)

    def start():
        return start_run(share_class=share_class, year=2, surplus=surplus)

    def start_and_approve():
        run = start()
        if tracemalloc.is_tracing():
            tracemalloc.reset_peak()  # approve's own peak, over what start left alive
        begun = time.perf_counter()
        approve_run(run=run, by=None)
        seconds = time.perf_counter() - begun
        peak = tracemalloc.get_traced_memory()[1] / 2**20 if tracemalloc.is_tracing() else None
        capped = run.lines.filter(closes_holding=True).count()
        return seconds, peak, capped

    start_seconds, _ = measured(start, traced=False)
    start_peak, _ = measured(start, traced=True)
    _, (approve_seconds, _, capped) = measured(start_and_approve, traced=False)
    _, (_, approve_peak, _) = measured(start_and_approve, traced=True)
    return start_seconds, start_peak, approve_seconds, approve_peak, capped


def main():
    with throwaway_postgres("distribution_run"):
        print(
            f"distribution_run on PostgreSQL {connection.pg_version // 10000}, {os.cpu_count()} cores, "
            f"Python {sys.version.split()[0]}"
        )
        print(
            f"{'holdings':>9} | {'start_run':>9} | {'peak MiB':>8} | {'approve_run':>11} | {'peak MiB':>8} | "
            "holdings cancelled at cap"
        )
        for size in SIZES:
            start_seconds, start_peak, approve_seconds, approve_peak, capped = bench(size)
            print(
                f"{size:>9,} | {start_seconds:>8.2f}s | {start_peak:>8.1f} | {approve_seconds:>10.2f}s | "
                f"{approve_peak:>8.1f} | {capped:,}"
            )


if __name__ == "__main__":
    main()
