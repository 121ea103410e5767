"""The schedule's formulas for single amounts: the pool, days held, interest, the cap, reinvestment.

Each takes and gives plain values so that a statement can show, and a treasurer check, how
every figure was reached. Amounts are worked in whole pennies where a Decimal division would
otherwise round silently; every rounding is one of `capital.money`'s named helpers.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from capital.money import (
    divide_down,
    divide_half_up,
    from_pennies,
    round_half_up,
    split_pennies_pro_rata,
    to_pennies,
)
from capital.returns.terms import ZERO, Terms


def pool_for(terms: Terms, surplus: Decimal) -> Decimal:
    """round_half_up(pool_percent/100 × max(0, surplus − hurdle)): a loss gives 0, never less."""
    if terms.pool_percent is None:
        raise ValueError("An interest schedule has no pool.")
    return round_half_up(terms.pool_percent / 100 * max(ZERO, surplus - terms.hurdle))


def days_held(issued_on: datetime.date, starts_on: datetime.date, ends_on: datetime.date) -> int:
    """Days from the later of the issue date and the year's first day to the year's end, both
    counted; 0 for a holding issued after the year ends."""
    if issued_on > ends_on:
        return 0
    return (ends_on - max(issued_on, starts_on)).days + 1


def interest_pennies(capital_pennies: int, rate_percent: Decimal, days: int, days_in_year: int) -> int:
    """round_half_up(capital × rate/100 × days/days_in_year), exactly, in pennies."""
    numerator, denominator = rate_percent.as_integer_ratio()
    return divide_half_up(capital_pennies * numerator * days, denominator * 100 * days_in_year)


def interest_for(capital: Decimal, rate_percent: Decimal, days: int, days_in_year: int) -> Decimal:
    """Interest at `rate_percent` a year for `days` of a `days_in_year`-day year, to the penny.

    Also the rate ceiling of a profit share: no holder is paid more in a year than this at
    the ceiling rate.
    """
    return from_pennies(interest_pennies(to_pennies(capital), rate_percent, days, days_in_year))


def cap_amount(capital: Decimal, cap_multiple: Decimal) -> Decimal:
    """The most a holding may ever receive (payments plus capital repaid): cap_multiple × capital,
    rounded down to the penny so that the cap is never exceeded, even by a fraction."""
    return from_pennies(cap_pennies(to_pennies(capital), cap_multiple.as_integer_ratio()))


def cap_pennies(capital_pennies: int, cap_multiple: tuple[int, int]) -> int:
    """`cap_amount` in pennies, the multiple given as an exact fraction (numerator, denominator)."""
    numerator, denominator = cap_multiple
    return divide_down(capital_pennies * numerator, denominator)


def share_out(pool: int, weights: list[int], rooms: list[int | None], *, redistribute: bool) -> list[int]:
    """Split `pool` pennies by `weights`; no one takes more than their room (None: no limit).

    What a limit holds back is retained, or with `redistribute` split again by the same weights
    among those with room left, round after round, until nothing is left or no one has room.
    Each round with something held back fills at least one holder, so there are at most as many
    rounds as holders. Returns each holder's pennies; the caller retains pool − their sum.
    """
    paid = [0] * len(weights)
    room_left = list(rooms)
    candidates = list(range(len(weights)))
    remaining = pool
    while remaining and candidates:
        parts = split_pennies_pro_rata(remaining, [weights[i] for i in candidates])
        held_back = 0
        still_with_room = []
        for index, part in zip(candidates, parts, strict=True):
            room = room_left[index]
            if room is not None and part >= room:
                paid[index] += room
                held_back += part - room
                room_left[index] = 0
            else:
                paid[index] += part
                if room is not None:
                    room_left[index] = room - part
                still_with_room.append(index)
        if not redistribute:
            break
        remaining = held_back
        candidates = still_with_room
    return paid


@dataclass(frozen=True, slots=True)
class Reinvestment:
    """Interest taken as new shares: whole shares at nominal value, and the rest in cash."""

    shares: int
    cash: Decimal


def reinvest(amount: Decimal, nominal_value: Decimal) -> Reinvestment:
    """Split an interest payment into whole new shares at `nominal_value` and the cash left over.

    £37.45 at £1 a share is 37 shares and £0.45 in cash; the cash is never rounded up into a
    share, so the shares and cash always add back to the amount.
    """
    if amount < 0:
        raise ValueError("Cannot reinvest a negative amount.")
    if nominal_value <= 0:
        raise ValueError("A share's nominal value must be more than zero.")
    price = to_pennies(nominal_value)
    shares, cash = divmod(to_pennies(amount), price)
    return Reinvestment(shares=shares, cash=from_pennies(cash))
