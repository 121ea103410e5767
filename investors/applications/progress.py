"""How far an offer has got, for its public page: one aggregate query, whatever the number of applications.

Money counts as raised once it is paid: a paid application for all its shares, an allocated one
for the shares it was given (a scaled-back excess goes back). Applications cancelled, expired or
refunded count for nothing; unpaid reservations still holding shares are shown apart.

The same query finds the capital the offer's share class already has from other issues (earlier
offers, shares the board issued by hand), which the simulator shares the profit pool with.
"""

import math
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Case, Count, F, Max, Q, Subquery, Sum, When
from django.utils import timezone
from djmoney.money import Money

from capital.models import Offer
from investors.models import Application
from shares.models import Holding

RAISED_STATES = (Application.State.PAID, Application.State.ALLOCATED)


def _raised_shares(prefix: str = ""):
    """Shares whose money counts as raised: all of a paid application's, the allocated part of an
    allocated one. `prefix` reaches applications from the row aggregated over."""
    return Sum(
        Case(
            When(**{f"{prefix}state": Application.State.PAID}, then=F(f"{prefix}shares")),
            When(**{f"{prefix}state": Application.State.ALLOCATED}, then=F(f"{prefix}shares_allocated")),
            default=0,
        )
    )


def raised_by_offer(offers: list[Offer]) -> dict[int, Money]:
    """The money raised by each of these offers, in one query: for an allocated (or failed) offer
    what it issued, otherwise by the same rule as `offer_progress` (money counts once paid)."""
    finished = {Offer.State.ALLOCATED, Offer.State.FAILED}
    shares = {offer.pk: offer.shares_allocated for offer in offers if offer.state in finished}
    shares |= dict(
        Application.objects.filter(offer__in=[offer for offer in offers if offer.state not in finished])
        .values("offer_id")
        .annotate(raised=_raised_shares())
        .values_list("offer_id", "raised")
        .order_by()
    )
    return {offer.pk: offer.price_per_share * (shares.get(offer.pk) or 0) for offer in offers}


@dataclass(frozen=True)
class OfferProgress:
    raised: Money
    awaiting_payment: Money
    investors: int
    minimum_target: Money
    maximum_target: Money
    # Paid-up capital of the share class not issued through this offer.
    existing_capital: Money

    @property
    def percent_of_maximum(self) -> Decimal:
        """For the bar: at most 100, one decimal."""
        if not self.maximum_target.amount:
            return Decimal(0)
        share = min(self.raised.amount / self.maximum_target.amount, Decimal(1))
        return (share * 100).quantize(Decimal("0.1"))

    @property
    def minimum_marker_percent(self) -> Decimal:
        if not self.maximum_target.amount:
            return Decimal(0)
        return (self.minimum_target.amount / self.maximum_target.amount * 100).quantize(Decimal("0.1"))

    @property
    def minimum_reached(self) -> bool:
        return self.raised >= self.minimum_target

    @property
    def to_minimum(self) -> Money:
        return max(self.minimum_target - self.raised, Money(0, self.minimum_target.currency))


def offer_progress(offer: Offer, now=None) -> OfferProgress:
    now = now or timezone.now()
    holding_reservation = Q(applications__state=Application.State.AWAITING_PAYMENT) & (
        Q(applications__reserved_until__isnull=True) | Q(applications__reserved_until__gt=now)
    )
    # Uncorrelated, so the database works it out once, not once per application.
    class_capital = (
        Holding.objects.filter(share_class_id=offer.share_class_id)
        .order_by()
        .values("share_class_id")
        .annotate(total=Sum("amount_paid"))
        .values("total")
    )
    # From the offer, so that an offer without applications still gives its one row.
    figures = Offer.objects.filter(pk=offer.pk).aggregate(
        raised_shares=_raised_shares("applications__"),
        allocated_shares=Sum(
            "applications__shares_allocated", filter=Q(applications__state=Application.State.ALLOCATED)
        ),
        awaiting_shares=Sum("applications__shares", filter=holding_reservation),
        investors=Count(
            "applications__holder", filter=Q(applications__state__in=RAISED_STATES), distinct=True
        ),
        class_capital=Max(Subquery(class_capital)),
    )
    price = offer.price_per_share
    issued_here = price * (figures["allocated_shares"] or 0)
    class_capital = Money(figures["class_capital"] or 0, price.currency)
    return OfferProgress(
        raised=price * (figures["raised_shares"] or 0),
        awaiting_payment=price * (figures["awaiting_shares"] or 0),
        investors=figures["investors"],
        minimum_target=offer.minimum_target,
        maximum_target=offer.maximum_target,
        existing_capital=max(class_capital - issued_here, Money(0, price.currency)),
    )


def days_left(offer: Offer, now=None) -> int:
    """Whole days until the offer closes, counting a part day as a day (0 once closed)."""
    remaining = offer.closes_at - (now or timezone.now())
    return max(0, math.ceil(remaining.total_seconds() / 86400))
