"""Who gets how many shares when an offer is oversubscribed: the scale-back rule as a pure
function (see the README), and the plan it makes for an offer's applications.

Allocation and charging saved cards both read the plan from here, so they always agree.
"""

from collections import defaultdict
from collections.abc import Hashable
from fractions import Fraction

from django.db.models import F

from capital.models import Offer
from investors.models import Application

# Earlier payers first; cards saved to be charged at allocation (not paid yet) after them.
PAYMENT_ORDER = F("paid_at").asc(nulls_last=True)


def scale_back(demands: dict[Hashable, int], *, capacity: int, guarantee: int) -> dict[Hashable, int]:
    """Share `capacity` whole shares among investors wanting `demands` (in priority order).

    1. If everyone fits, everyone gets what they asked for.
    2. Each investor is first given up to `guarantee` shares. If even that does not fit, every
       investor gets the same level (the highest that fits) and the few shares left over go one
       each in priority order.
    3. What remains is shared pro rata to each investor's unmet demand, rounded down to whole
       shares; the shares left by rounding go one each to the largest fractional remainders,
       ties to the earlier investor.
    """
    if sum(demands.values()) <= capacity:
        return dict(demands)
    base = {key: min(wanted, guarantee) for key, wanted in demands.items()}
    if sum(base.values()) > capacity:
        return _equal_level(demands, capacity)

    remaining = capacity - sum(base.values())
    unmet = {key: demands[key] - base[key] for key in demands}
    unmet_total = sum(unmet.values())
    exact = {key: Fraction(remaining * unmet[key], unmet_total) for key in demands}
    allocation = {key: base[key] + int(exact[key]) for key in demands}
    leftover = capacity - sum(allocation.values())
    position = {key: index for index, key in enumerate(demands)}
    by_remainder = sorted(demands, key=lambda key: (-(exact[key] - int(exact[key])), position[key]))
    for key in by_remainder[:leftover]:
        allocation[key] += 1
    return allocation


def _equal_level(demands: dict[Hashable, int], capacity: int) -> dict[Hashable, int]:
    low, high = 0, max(demands.values())
    while low < high:  # the highest level whose total fits
        level = (low + high + 1) // 2
        if sum(min(wanted, level) for wanted in demands.values()) <= capacity:
            low = level
        else:
            high = level - 1
    allocation = {key: min(wanted, low) for key, wanted in demands.items()}
    leftover = capacity - sum(allocation.values())
    for key, wanted in demands.items():
        if leftover == 0:
            break
        if wanted > allocation[key]:
            allocation[key] += 1
            leftover -= 1
    return allocation


def scale_back_plan(offer: Offer, applications: list[Application]) -> dict[int, int]:
    """The scale-back rule applied to these applications (earliest first), per application."""
    demands: dict[int, int] = defaultdict(int)
    for application in applications:  # in payment order: earlier payers come first on ties
        demands[application.holder_id] += application.shares
    per_investor = scale_back(
        dict(demands),
        capacity=offer.capacity_shares,
        guarantee=offer.shares_for(offer.minimum_per_investor),
    )
    allocations = {}
    for application in applications:  # an investor's earliest applications are filled first
        shares = min(application.shares, per_investor[application.holder_id])
        per_investor[application.holder_id] -= shares
        allocations[application.pk] = shares
    return allocations
