"""How long the returns engine takes, and how much memory it needs, on large registers.

For 1,000, 10,000 and 100,000 holdings: one financial year (`compute_year`, what a
distribution run does) and a 10-year `simulate`. The terms are the engine's busiest: capital ×
days weighting, a rate ceiling, a cap and redistribution of what they hold back, with holdings
issued over the first three years and capital from £50 to £100,000. Times are the best of a few
runs without tracing; peak memory is a separate run under tracemalloc (which slows Python).

Usage: python bench/returns.py   (no database is touched)
"""

import datetime
import os
import random
import sys
import time
import tracemalloc
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from capital.money import round_half_up  # noqa: E402
from capital.returns import Excess, Holding, Terms, Weighting, compute_year, simulate  # noqa: E402

SIZES = (1_000, 10_000, 100_000)
YEARS = 10
REPEATS = 3
FIRST_YEAR_END = datetime.date(2027, 3, 31)
TERMS = Terms(
    first_year_end=FIRST_YEAR_END,
    pool_percent=Decimal("30"),
    hurdle=Decimal("10000.00"),
    grace_years=1,
    weighting=Weighting.CAPITAL_DAYS,
    rate_ceiling_percent=Decimal("12"),
    cap_multiple=Decimal("1.75"),
    excess=Excess.REDISTRIBUTE,
    term_years=8,
    redeem_at_term_end=True,
)


def register(size: int) -> list[Holding]:
    """A seeded register: the same holdings every run, so that figures are comparable."""
    rng = random.Random(size)
    start = FIRST_YEAR_END - datetime.timedelta(days=364)
    return [
        Holding(
            ref=f"H{index:06d}",
            capital=Decimal(rng.randint(5_000, 10_000_000)).scaleb(-2),
            issued_on=start + datetime.timedelta(days=rng.randint(0, 3 * 365)),
            register_order=index,
        )
        for index in range(size)
    ]


def surpluses(holdings: list[Holding]) -> list[Decimal]:
    """Surpluses that make the pool around 10% of the capital a year, with one loss."""
    capital = sum(holding.capital for holding in holdings)
    return [round_half_up(capital * share / 100) for share in (20, 30, 40, -5, 50, 60, 35, 45, 50, 40)]


def one_year(holdings, surplus):
    return compute_year(terms=TERMS, year=3, holdings=holdings, surplus=surplus)


def ten_years(holdings, yearly):
    return simulate(terms=TERMS, holdings=holdings, surpluses=yearly)


def best_time(work, *args) -> float:
    best = float("inf")
    for _ in range(REPEATS):
        started = time.perf_counter()
        work(*args)
        best = min(best, time.perf_counter() - started)
    return best


def peak_mib(work, *args) -> float:
    tracemalloc.start()
    try:
        work(*args)
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def main():
    print(
        f"returns engine, Python {sys.version.split()[0]}; best of {REPEATS} runs, peak memory traced apart"
    )
    print(
        f"{'holdings':>9} | {'one year':>9} | {'peak MiB':>8} | {'10 years':>9} | {'peak MiB':>8} | "
        "paid over 10 years"
    )
    for size in SIZES:
        holdings = register(size)
        yearly = surpluses(holdings)
        year_seconds = best_time(one_year, holdings, yearly[2])
        year_peak = peak_mib(one_year, holdings, yearly[2])
        run_seconds = best_time(ten_years, holdings, yearly)
        run_peak = peak_mib(ten_years, holdings, yearly)
        result = ten_years(holdings, yearly)
        paid = sum(year.paid for year in result.years)
        print(
            f"{size:>9,} | {year_seconds:>8.3f}s | {year_peak:>8.1f} | "
            f"{run_seconds:>8.3f}s | {run_peak:>8.1f} | £{paid:,.2f}"
        )


if __name__ == "__main__":
    main()
