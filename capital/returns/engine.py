"""The returns engine: what each holding is paid, capped at and redeemed for, year by year.

`compute_year` works out one financial year from the holdings and the state each carries from
earlier years (what it has been paid and repaid, whether it is still active); `simulate` loops
it over a run of years. Both are pure: the same input always gives the same output, and the
distribution run on the real register calls `compute_year` with the register's holdings and
the totals of earlier approved runs.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from operator import attrgetter

from capital.money import divide_half_up, from_pennies, multiple_of, to_pennies
from capital.returns.amounts import cap_pennies, days_held, pool_for, share_out
from capital.returns.terms import ZERO, Excess, ReturnsError, Terms, Weighting


class Status(StrEnum):
    ACTIVE = "active"
    CAPPED = "capped"  # reached the cap exactly: extinguished, shares cancelled
    REDEEMED = "redeemed"  # repaid at par at the term's end, shares cancelled


@dataclass(frozen=True, slots=True)
class Tranche:
    """Part of a holding's capital and the day it was issued (a top-up, reinvested interest)."""

    capital: Decimal
    issued_on: datetime.date


@dataclass(frozen=True, slots=True)
class Holding:
    """One holding on the register. Ties in a split go to the lower `register_order`; equal
    numbers keep the order the holdings were given in.

    A holding bought in several goes may list its `tranches`: then days held (for capital ×
    days weighting, the rate ceiling and interest) are counted for each part from its own
    issue date, while the cap is on the holding's whole capital. `capital` must be their sum
    and `issued_on` the earliest.
    """

    ref: str
    capital: Decimal
    issued_on: datetime.date
    register_order: int = 0
    tranches: tuple[Tranche, ...] = ()

    def capital_days(self, starts_on: datetime.date, ends_on: datetime.date) -> int:
        """Pennies × days held in the year, summed over the parts of the holding."""
        if not self.tranches:
            return to_pennies(self.capital) * days_held(self.issued_on, starts_on, ends_on)
        total = 0
        for part in self.tranches:
            total += to_pennies(part.capital) * days_held(part.issued_on, starts_on, ends_on)
        return total


@dataclass(frozen=True, slots=True)
class HolderState:
    """What a holding carries from one year to the next: all it has been paid and repaid."""

    paid: Decimal = ZERO
    redeemed: Decimal = ZERO
    status: Status = Status.ACTIVE

    @property
    def cumulative(self) -> Decimal:
        return self.paid + self.redeemed


FRESH = HolderState()


@dataclass(frozen=True, slots=True)
class Line:
    """One holding's year: what it was paid and repaid in the year, and its state after it.

    The state is shared with the next year's carry (and, in years that pay a holding nothing,
    with the year before), so that a long simulation of a large register stays small.
    """

    ref: str
    paid: Decimal
    redeemed: Decimal
    state: HolderState

    @property
    def cumulative(self) -> Decimal:
        """Payments plus capital redeemed, since the first year."""
        return self.state.cumulative

    @property
    def status(self) -> Status:
        return self.state.status


@dataclass(frozen=True, slots=True)
class YearResult:
    """One financial year, its lines in register order. `paid` + `retained` = `pool`."""

    year: int
    starts_on: datetime.date
    ends_on: datetime.date
    pool: Decimal
    paid: Decimal
    retained: Decimal
    redeemed: Decimal
    lines: tuple[Line, ...]

    @property
    def states(self) -> dict[str, HolderState]:
        """Each holding's state after this year: what the next year's `compute_year` carries."""
        return {line.ref: line.state for line in self.lines}


@dataclass(frozen=True, slots=True)
class Total:
    ref: str
    paid: Decimal
    redeemed: Decimal
    multiple: Decimal  # (paid + redeemed) / capital, four decimals, halves up


@dataclass(frozen=True, slots=True)
class Simulation:
    years: tuple[YearResult, ...]
    totals: tuple[Total, ...]


def in_register_order(holdings: Iterable[Holding]) -> list[Holding]:
    """Holdings sorted by register order (stable), after checking refs are unique and capital sane."""
    ordered = sorted(holdings, key=attrgetter("register_order"))
    seen = set()
    for holding in ordered:
        if holding.ref in seen:
            raise ReturnsError(f"Two holdings have the ref {holding.ref!r}.", field="ref")
        seen.add(holding.ref)
        capital = holding.capital
        if capital <= 0 or capital != capital.quantize(ZERO):
            raise ReturnsError(
                f"Holding {holding.ref!r} has capital {holding.capital}: it must be more than "
                "zero, in whole pennies.",
                field="capital",
            )
    return ordered


def compute_year(
    *,
    terms: Terms,
    year: int,
    holdings: Iterable[Holding],
    states: Mapping[str, HolderState] | None = None,
    surplus: Decimal | None = None,
    declared_rate_percent: Decimal | None = None,
) -> YearResult:
    """Work out financial year `year` (1 is the year ending `terms.first_year_end`).

    `states` holds what each holding carried from earlier years (missing refs start fresh).
    A profit share needs the year's declared `surplus`; an interest schedule pays the rate
    ceiling unless the board declares a lower `declared_rate_percent` for the year.
    A holding takes part if it was issued by the year's end and is still active.
    """
    states = states or {}
    starts_on, ends_on = terms.year_start(year), terms.year_end(year)
    days_in_year = (ends_on - starts_on).days + 1
    ordered = in_register_order(holdings)
    rate = _rate_for_year(terms, declared_rate_percent)
    taking_part = [
        holding
        for holding in ordered
        if holding.issued_on <= ends_on and states.get(holding.ref, FRESH).status == Status.ACTIVE
    ]
    capitals = [to_pennies(holding.capital) for holding in taking_part]
    capital_days = [holding.capital_days(starts_on, ends_on) for holding in taking_part]
    cap_rooms = _cap_rooms(terms, taking_part, capitals, states)

    if not terms.pays_in(year):
        pool, paid = 0, [0] * len(taking_part)
    elif terms.is_interest:
        entitled = _interest_on(capital_days, rate, days_in_year)
        pool, paid = sum(entitled), _within(entitled, cap_rooms)
    else:
        if surplus is None:
            raise ReturnsError(f"Year {year} needs the declared surplus.", field="surplus")
        pool = to_pennies(pool_for(terms, surplus))
        weights = capital_days if terms.weighting == Weighting.CAPITAL_DAYS else capitals
        rooms = cap_rooms
        if rate is not None:  # the rate ceiling: no more in a year than interest at that rate
            ceilings = _interest_on(capital_days, rate, days_in_year)
            rooms = _within(ceilings, cap_rooms)
        paid = share_out(pool, weights, rooms, redistribute=terms.excess == Excess.REDISTRIBUTE)

    return _close_year(
        terms=terms,
        year=year,
        starts_on=starts_on,
        ends_on=ends_on,
        ordered=ordered,
        states=states,
        payments=dict(zip((holding.ref for holding in taking_part), paid, strict=True)),
        cap_rooms=dict(zip((holding.ref for holding in taking_part), cap_rooms, strict=True)),
        pool=pool,
    )


def simulate(
    *,
    terms: Terms,
    holdings: Sequence[Holding],
    surpluses: Sequence[Decimal | None],
    declared_rates: Sequence[Decimal | None] | None = None,
) -> Simulation:
    """Run the schedule over one year per surplus (for interest, the surplus may be None and
    `declared_rates` may lower a year's rate), carrying each holding's state forward."""
    if not surpluses:
        raise ReturnsError("Give at least one year's surplus.", field="surpluses")
    if declared_rates is not None and len(declared_rates) != len(surpluses):
        raise ReturnsError("Give one declared rate (or None) per year.", field="declared_rates")
    ordered = in_register_order(holdings)
    states: dict[str, HolderState] = {}
    years = []
    for index, surplus in enumerate(surpluses):
        result = compute_year(
            terms=terms,
            year=index + 1,
            holdings=ordered,
            states=states,
            surplus=surplus,
            declared_rate_percent=declared_rates[index] if declared_rates else None,
        )
        years.append(result)
        states = result.states
    return Simulation(years=tuple(years), totals=totals(ordered, states))


def totals(holdings: Sequence[Holding], states: Mapping[str, HolderState]) -> tuple[Total, ...]:
    """Each holding's payments and repayments so far, and the multiple of its capital they make."""
    result = []
    for holding in holdings:
        state = states.get(holding.ref, FRESH)
        result.append(
            Total(
                ref=holding.ref,
                paid=state.paid,
                redeemed=state.redeemed,
                multiple=multiple_of(state.cumulative, holding.capital),
            )
        )
    return tuple(result)


def _interest_on(capital_days: list[int], rate: Decimal, days_in_year: int) -> list[int]:
    """`interest_pennies` for each holding's capital-days, the rate's fraction worked out once.

    Interest and ceilings are capital × rate × days / days in year: with capital-days counted
    per part of the holding, `days` is 1 and the capital-days stand for capital × days.
    """
    numerator, denominator = rate.as_integer_ratio()
    denominator *= 100 * days_in_year
    return [divide_half_up(cd * numerator, denominator) for cd in capital_days]


def _within(amounts: list[int], rooms: list[int | None]) -> list[int]:
    """Each amount, cut to its room where it has one."""
    return [
        amount if room is None else min(amount, room) for amount, room in zip(amounts, rooms, strict=True)
    ]


def _rate_for_year(terms: Terms, declared_rate_percent: Decimal | None) -> Decimal | None:
    """The rate that limits (profit share) or sets (interest) this year's payments."""
    if declared_rate_percent is None:
        return terms.rate_ceiling_percent
    if not terms.is_interest:
        raise ReturnsError(
            "Only an interest schedule takes a declared rate; a profit share is set by the surplus.",
            field="declared_rate_percent",
        )
    if not 0 <= declared_rate_percent <= terms.rate_ceiling_percent:
        raise ReturnsError(
            f"The declared rate must be between 0 and the maximum declared in advance, "
            f"{terms.rate_ceiling_percent}%.",
            field="declared_rate_percent",
        )
    return declared_rate_percent


def _cap_rooms(
    terms: Terms, holdings: list[Holding], capitals: list[int], states: Mapping[str, HolderState]
) -> list[int | None]:
    """Pennies each holding (of `capitals` pennies) may still receive before its cap (None: no cap)."""
    if terms.cap_multiple is None:
        return [None] * len(holdings)
    multiple = terms.cap_multiple.as_integer_ratio()
    rooms = []
    for holding, capital in zip(holdings, capitals, strict=True):
        state = states.get(holding.ref)
        received = 0 if state is None else to_pennies(state.cumulative)
        # A withdrawal can leave a holding that has already received more than the cap on
        # what remains: it has had its whole return, so it is extinguished (room 0), never
        # clawed back.
        rooms.append(max(0, cap_pennies(capital, multiple) - received))
    return rooms


def _close_year(
    *,
    terms: Terms,
    year: int,
    starts_on: datetime.date,
    ends_on: datetime.date,
    ordered: list[Holding],
    states: Mapping[str, HolderState],
    payments: dict[str, int],
    cap_rooms: dict[str, int | None],
    pool: int,
) -> YearResult:
    """Apply the year's payments, extinguish holdings that reach the cap exactly, redeem the
    survivors at the term's end (at par, within the cap), and write each holding's line."""
    redeeming = terms.redeems_after(year)
    lines = []
    paid_total = redeemed_total = 0
    for holding in ordered:
        ref = holding.ref
        state = states.get(ref, FRESH)
        paid = payments.get(ref)
        if paid is None:  # took no part: issued after the year end, or capped or redeemed before
            lines.append(Line(ref, ZERO, ZERO, state))
            continue
        room = cap_rooms[ref]
        redeemed, status = 0, Status.ACTIVE
        if room is not None and paid == room:
            status = Status.CAPPED
        elif redeeming:
            capital = to_pennies(holding.capital)
            redeemed = capital if room is None else min(capital, room - paid)
            status = Status.REDEEMED
        paid_total += paid
        redeemed_total += redeemed
        paid_amount = from_pennies(paid) if paid else ZERO
        redeemed_amount = from_pennies(redeemed) if redeemed else ZERO
        if paid or redeemed or status != state.status:
            state = HolderState(
                paid=state.paid + paid_amount if paid else state.paid,
                redeemed=state.redeemed + redeemed_amount if redeemed else state.redeemed,
                status=status,
            )
        lines.append(Line(ref, paid_amount, redeemed_amount, state))
    return YearResult(
        year=year,
        starts_on=starts_on,
        ends_on=ends_on,
        pool=from_pennies(pool),
        paid=from_pennies(paid_total),
        retained=from_pennies(pool - paid_total),
        redeemed=from_pennies(redeemed_total),
        lines=tuple(lines),
    )
