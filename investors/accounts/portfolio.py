"""The totals at the top of an investor's dashboard: what they have invested, what they have
received back, and the next payment they can expect. Worked out from the holding summaries the
dashboard already loaded (with their schedules), so it costs no query of its own."""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone
from djmoney.money import Money

from capital.returns import Terms


@dataclass(frozen=True)
class NextPayment:
    """Either an amount the board approved and the treasurer has still to pay, or the day a
    class's financial year ends (after which its board works out the returns)."""

    amount: Money | None = None
    year_ends_on: datetime.date | None = None
    share_class_name: str = ""


@dataclass(frozen=True)
class Portfolio:
    invested: list[Money]
    received: list[Money]
    next_payment: NextPayment | None


def portfolio_of(summaries, today: datetime.date | None = None) -> Portfolio:
    """Totals per currency (a holder may invest in societies that keep different currencies)."""
    today = today or timezone.localdate()
    invested: dict[str, Decimal] = {}
    received: dict[str, Decimal] = {}
    due: dict[str, Decimal] = {}
    next_year_end = None
    for summary in summaries:
        holding = summary.holding
        currency = str(holding.amount_paid.currency)
        if holding.shares > 0:
            invested[currency] = invested.get(currency, Decimal(0)) + holding.amount_paid.amount
        received[currency] = received.get(currency, Decimal(0)) + summary.received.amount
        if summary.due.amount:
            due[currency] = due.get(currency, Decimal(0)) + summary.due.amount
        if holding.shares > 0:
            ends_on = _next_year_end(holding.share_class, today)
            if ends_on is not None and (next_year_end is None or ends_on < next_year_end[0]):
                next_year_end = (ends_on, holding.share_class.name)
    if due:
        currency, amount = sorted(due.items())[0]
        next_payment = NextPayment(amount=Money(amount, currency))
    elif next_year_end is not None:
        next_payment = NextPayment(year_ends_on=next_year_end[0], share_class_name=next_year_end[1])
    else:
        next_payment = None
    return Portfolio(invested=_monies(invested), received=_monies(received), next_payment=next_payment)


def _next_year_end(share_class, today: datetime.date) -> datetime.date | None:
    schedule = getattr(share_class, "return_schedule", None)
    if schedule is None:
        return None
    terms = Terms.from_schedule(schedule)
    year = 1
    while year < 200:
        ends_on = terms.year_end(year)
        if ends_on >= today:
            if terms.term_years is not None and year > terms.term_years:
                return None
            return ends_on
        year += 1
    return None


def _monies(totals: dict[str, Decimal]) -> list[Money]:
    return [Money(amount, currency) for currency, amount in sorted(totals.items())]
