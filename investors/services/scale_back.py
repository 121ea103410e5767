"""The scale-back rule for an oversubscribed offer, as a pure function (see the README)."""

from collections.abc import Hashable
from fractions import Fraction


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
