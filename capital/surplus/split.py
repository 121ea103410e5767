"""Splitting a year's surplus the FairShares way.

Each part (Labour, User, Investor) is `round_half_up(surplus × fraction / 100)` to the penny;
reserves are the surplus less the three parts, so the figures always add up to the surplus
exactly. A surplus of zero or less pays nothing. A part with no one to receive it (no members,
or every contribution zero) is nothing, and its money stays in reserves. Each part is split
among its members in proportion to their contribution (hours, pay, trade, capital) by the
largest remainder (`capital.money.split_pennies_pro_rata`): floored to the penny, the pennies
left over one each to the largest remainders, ties to the member given first.

Every amount is worked in whole pennies, so no step rounds except the named one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from capital.errors import CapitalError
from capital.money import divide_half_up, from_pennies, split_pro_rata, to_pennies

HUNDRED = Decimal("100")


class SurplusError(CapitalError):
    """Figures the split cannot work with; `field` names the input at fault."""

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.field = field


class Part(StrEnum):
    LABOUR = "labour"
    USER = "user"
    INVESTOR = "investor"


PARTS = (Part.LABOUR, Part.USER, Part.INVESTOR)


@dataclass(frozen=True, slots=True)
class Member:
    """One member of a part and what they are weighed by: hours or pay (Labour), trade with the
    society (User), or capital (Investor). `ref` identifies them to the caller."""

    ref: str
    weight: Decimal


@dataclass(frozen=True, slots=True)
class PartLine:
    ref: str
    weight: Decimal
    paid: Decimal


@dataclass(frozen=True, slots=True)
class PartSplit:
    part: Part
    fraction: Decimal
    amount: Decimal
    lines: tuple[PartLine, ...]


@dataclass(frozen=True, slots=True)
class SurplusSplit:
    surplus: Decimal
    reserves: Decimal
    parts: dict[Part, PartSplit]

    @property
    def paid(self) -> Decimal:
        """What the three parts pay out together."""
        return sum((split.amount for split in self.parts.values()), Decimal("0.00"))


def part_amount(surplus: Decimal, fraction_percent: Decimal) -> Decimal:
    """round_half_up(surplus × fraction / 100) to the penny; nothing for a surplus of zero or less."""
    pennies = to_pennies(surplus)
    if pennies <= 0:
        return from_pennies(0)
    numerator, denominator = Decimal(fraction_percent).as_integer_ratio()
    return from_pennies(divide_half_up(pennies * numerator, denominator * 100))


def split_part(amount: Decimal, members: Sequence[Member]) -> tuple[PartLine, ...]:
    """`amount` split among `members` pro rata to their weights, to the penny, in their order."""
    paid = split_pro_rata(amount, [member.weight for member in members]) if members else []
    return tuple(
        PartLine(ref=member.ref, weight=member.weight, paid=each)
        for member, each in zip(members, paid, strict=True)
    )


def split_surplus(
    *,
    surplus: Decimal,
    fractions: Mapping[Part, Decimal],
    members: Mapping[Part, Sequence[Member]],
) -> SurplusSplit:
    """The whole split: reserves and each part with its lines, adding up exactly to `surplus`.

    `fractions` are percentages of the surplus for each part (missing: 0); together at most
    100, reserves taking the rest. `members` lists each part's members in the order ties go.
    """
    surplus = Decimal(surplus)
    _check(surplus, fractions, members)
    parts = {}
    for part in PARTS:
        fraction = Decimal(fractions.get(part, 0))
        part_members = list(members.get(part, ()))
        receives = any(member.weight > 0 for member in part_members)
        amount = part_amount(surplus, fraction) if receives else from_pennies(0)
        parts[part] = PartSplit(
            part=part, fraction=fraction, amount=amount, lines=split_part(amount, part_members)
        )
    paid = sum((split.amount for split in parts.values()), Decimal("0.00"))
    return SurplusSplit(
        surplus=surplus, reserves=from_pennies(to_pennies(surplus) - to_pennies(paid)), parts=parts
    )


def _check(surplus: Decimal, fractions: Mapping[Part, Decimal], members: Mapping[Part, Sequence[Member]]):
    try:
        to_pennies(surplus)
    except ValueError:
        raise SurplusError(f"The surplus must be in whole pennies, not {surplus}.", field="surplus") from None
    unknown = set(fractions) - set(PARTS) or set(members) - set(PARTS)
    if unknown:
        raise SurplusError(f"There is no part called {sorted(unknown)[0]!r}.", field="fractions")
    total = Decimal(0)
    for part in PARTS:
        fraction = Decimal(fractions.get(part, 0))
        if not 0 <= fraction <= HUNDRED:
            raise SurplusError(f"The {part} fraction must be from 0 to 100%, not {fraction}%.", field=part)
        total += fraction
    if total > HUNDRED:
        raise SurplusError(
            f"The fractions add up to {total.normalize():f}%: at most 100%, reserves taking the rest.",
            field="fractions",
        )
    for part, part_members in members.items():
        seen = set()
        for member in part_members:
            if member.weight < 0:
                raise SurplusError(
                    f"{member.ref!r} cannot weigh less than nothing in the {part} part.", field=part
                )
            if member.ref in seen:
                raise SurplusError(f"{member.ref!r} is in the {part} part twice.", field=part)
            seen.add(member.ref)
