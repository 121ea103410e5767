"""The terms of a return schedule as plain values, and the financial years they run over.

A copy of `ReturnSchedule`'s fields, so that the engine can be run on a model row, on what a
visitor types into the simulator, or on a hundred thousand holdings in a benchmark, without
the database.
"""

from __future__ import annotations

import dataclasses
import datetime
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING

from capital.errors import CapitalError

if TYPE_CHECKING:
    from capital.models import ReturnSchedule

ZERO = Decimal("0.00")


class ReturnsError(CapitalError):
    """Terms or holdings the engine cannot work with; `field` names the input at fault."""

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.field = field


class Weighting(StrEnum):
    CAPITAL = "capital"
    CAPITAL_DAYS = "capital_days"


class Excess(StrEnum):
    RETAINED = "retained"
    REDISTRIBUTE = "redistribute"


@dataclass(frozen=True, slots=True)
class Terms:
    """How a class is paid. `pool_percent` None makes it an interest schedule (then the rate
    ceiling is the rate); percentages are of 100, the cap a multiple of capital."""

    first_year_end: datetime.date
    pool_percent: Decimal | None
    hurdle: Decimal = ZERO
    grace_years: int = 0
    weighting: Weighting = Weighting.CAPITAL
    rate_ceiling_percent: Decimal | None = None
    cap_multiple: Decimal | None = None
    excess: Excess = Excess.RETAINED
    term_years: int | None = None
    redeem_at_term_end: bool = False

    def __post_init__(self):
        # The same rules as ReturnSchedule's constraints, for terms that never touched the database.
        if self.first_year_end.month == 2 and self.first_year_end.day == 29:
            raise ReturnsError(
                "29 February cannot end a financial year: it is missing three years in four.",
                field="first_year_end",
            )
        if self.pool_percent is None and self.rate_ceiling_percent is None:
            raise ReturnsError(
                "An interest schedule (no pool_percent) needs a rate_ceiling_percent: the rate it pays.",
                field="rate_ceiling_percent",
            )
        if self.redeem_at_term_end and self.term_years is None:
            raise ReturnsError("Redeeming at the term's end needs term_years.", field="term_years")
        if self.pool_percent is not None and not 0 < self.pool_percent <= 100:
            raise ReturnsError("pool_percent must be more than 0 and at most 100.", field="pool_percent")
        if self.rate_ceiling_percent is not None and self.rate_ceiling_percent <= 0:
            raise ReturnsError("rate_ceiling_percent must be more than 0.", field="rate_ceiling_percent")
        if self.cap_multiple is not None and self.cap_multiple < 1:
            raise ReturnsError("cap_multiple must be at least 1 (the capital itself).", field="cap_multiple")
        if self.hurdle < 0:
            raise ReturnsError("hurdle cannot be negative.", field="hurdle")
        if self.grace_years < 0:
            raise ReturnsError("grace_years cannot be negative.", field="grace_years")
        if self.term_years is not None and self.term_years < 1:
            raise ReturnsError("term_years must be at least 1.", field="term_years")

    @classmethod
    def from_schedule(cls, schedule: ReturnSchedule) -> Terms:
        return cls(
            first_year_end=schedule.first_year_end,
            pool_percent=schedule.pool_percent,
            hurdle=schedule.hurdle.amount,
            grace_years=schedule.grace_years,
            weighting=Weighting(schedule.weighting),
            rate_ceiling_percent=schedule.rate_ceiling_percent,
            cap_multiple=schedule.cap_multiple,
            excess=Excess(schedule.excess),
            term_years=schedule.term_years,
            redeem_at_term_end=schedule.redeem_at_term_end,
        )

    def to_record(self) -> dict:
        """The terms as JSON (exact numbers as strings), to keep with a run and compare later."""
        return {
            name: value if value is None or isinstance(value, bool | int) else str(value)
            for name, value in dataclasses.asdict(self).items()
        }

    @classmethod
    def from_record(cls, record: dict) -> Terms:
        """The terms kept by `to_record`, back as they were."""
        return cls(
            first_year_end=datetime.date.fromisoformat(record["first_year_end"]),
            pool_percent=_decimal_or_none(record["pool_percent"]),
            hurdle=Decimal(record["hurdle"]),
            grace_years=record["grace_years"],
            weighting=Weighting(record["weighting"]),
            rate_ceiling_percent=_decimal_or_none(record["rate_ceiling_percent"]),
            cap_multiple=_decimal_or_none(record["cap_multiple"]),
            excess=Excess(record["excess"]),
            term_years=record["term_years"],
            redeem_at_term_end=record["redeem_at_term_end"],
        )

    @property
    def is_interest(self) -> bool:
        return self.pool_percent is None

    def year_end(self, year: int) -> datetime.date:
        """Financial year n ends on `first_year_end` plus n − 1 years."""
        if year < 1:
            raise ReturnsError(f"Financial years count from 1, not {year}.", field="year")
        return self.first_year_end.replace(year=self.first_year_end.year + year - 1)

    def year_start(self, year: int) -> datetime.date:
        """The day after the previous year ends (year 1: the day after first_year_end − 1 year)."""
        previous_end = self.first_year_end.replace(year=self.first_year_end.year + year - 2)
        return previous_end + datetime.timedelta(days=1)

    def pays_in(self, year: int) -> bool:
        """Nothing at all is paid in the grace years, nor after the term."""
        return year > self.grace_years and (self.term_years is None or year <= self.term_years)

    def redeems_after(self, year: int) -> bool:
        return self.redeem_at_term_end and year == self.term_years


def _decimal_or_none(value) -> Decimal | None:
    return None if value is None else Decimal(value)
