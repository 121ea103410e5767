"""A run's figures as the board reads them before approving or paying it: counted from the
stored lines in one query, never recomputed."""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Q, Sum
from djmoney.money import Money

from capital.money import format_money
from investors.models import DistributionLine, DistributionRun

LineStatus = DistributionLine.Status


@dataclass(frozen=True)
class RunTotals:
    holdings: int
    paid_holdings: int
    capped: int  # holdings the year's cap cancels
    redeemed: int  # holdings repaid at the end of their term
    reinvested_shares: int
    cash: Money  # returns paid in money
    to_bank: Money  # what leaves the bank: returns in money and capital repaid


def run_totals(run: DistributionRun) -> RunTotals:
    counts = run.lines.aggregate(
        holdings=Count("pk"),
        paid_holdings=Count("pk", filter=Q(paid__gt=0)),
        capped=Count("pk", filter=Q(closes_holding=True, status=LineStatus.CAPPED)),
        redeemed=Count("pk", filter=Q(closes_holding=True, status=LineStatus.REDEEMED)),
        reinvested=Sum("reinvested_shares"),
        cash=Sum("cash"),
    )
    cash = run.society.money(counts["cash"] or Decimal("0"))
    return RunTotals(
        holdings=counts["holdings"],
        paid_holdings=counts["paid_holdings"],
        capped=counts["capped"],
        redeemed=counts["redeemed"],
        reinvested_shares=counts["reinvested"] or 0,
        cash=cash,
        to_bank=cash + run.redeemed,
    )


def declared_in_words(run: DistributionRun) -> str:
    """What the board declared for the year, as "a declared rate of 3.00%" or "a declared surplus
    of £8,000.00"."""
    if run.is_interest:
        return f"a declared rate of {run.declared_rate_percent}%"
    return f"a declared surplus of {format_money(run.surplus)}"
