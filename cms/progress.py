"""How far an offer has got, for its public page: one aggregate query, whatever the number of applications.

Money counts as raised once it is paid: a paid application for all its shares, an allocated one
for the shares it was given (a scaled-back excess goes back). Applications cancelled, expired or
refunded count for nothing; unpaid reservations still holding shares are shown apart.
"""

import math
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Case, Count, F, Q, Sum, When
from django.utils import timezone
from djmoney.money import Money

from capital.models import Offer
from investors.models import Application

RAISED_STATES = (Application.State.PAID, Application.State.ALLOCATED)


@dataclass(frozen=True)
class OfferProgress:
    raised: Money
    awaiting_payment: Money
    investors: int
    minimum_target: Money
    maximum_target: Money

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
    holding_reservation = Q(state=Application.State.AWAITING_PAYMENT) & (
        Q(reserved_until__isnull=True) | Q(reserved_until__gt=now)
    )
    figures = Application.objects.filter(offer=offer).aggregate(
        raised_shares=Sum(
            Case(
                When(state=Application.State.PAID, then=F("shares")),
                When(state=Application.State.ALLOCATED, then=F("shares_allocated")),
                default=0,
            )
        ),
        awaiting_shares=Sum("shares", filter=holding_reservation),
        investors=Count("holder", filter=Q(state__in=RAISED_STATES), distinct=True),
    )
    price = offer.price_per_share
    return OfferProgress(
        raised=price * (figures["raised_shares"] or 0),
        awaiting_payment=price * (figures["awaiting_shares"] or 0),
        investors=figures["investors"],
        minimum_target=offer.minimum_target,
        maximum_target=offer.maximum_target,
    )


def days_left(offer: Offer, now=None) -> int:
    """Whole days until the offer closes, counting a part day as a day (0 once closed)."""
    remaining = offer.closes_at - (now or timezone.now())
    return max(0, math.ceil(remaining.total_seconds() / 86400))
