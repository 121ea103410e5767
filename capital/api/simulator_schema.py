"""The public simulator's interface: the JSON it reads, the checks on it, the JSON it prints.

`manage.py simulate_returns` and `POST /api/v1/returns/simulate` share these schemas, so a
bad input is refused the same way by both (HTTP 422 or exit code 2) with its field named,
and a good one gets the same answer from both. The engine itself knows nothing of JSON.
"""

import datetime
import re
from decimal import Decimal
from typing import Annotated, Any, Literal

import pydantic
from ninja import Schema
from pydantic import BeforeValidator, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

from capital.api.fields import (
    AMOUNT,
    MULTIPLE,
    POSITIVE,
    POSITIVE_PERCENT,
    UNSIGNED,
    Exact,
    InputError,
    decimal_text,
    error_messages,
    parse_with,
    refuse,
)
from capital.returns.engine import Holding, Simulation, simulate
from capital.returns.terms import Excess, ReturnsError, Terms, Weighting

# A public endpoint computes on the caller's behalf: these bound the work (and the answer's
# size) one request can ask for. The distribution run calls the engine directly, unbounded.
MAX_HOLDINGS = 1000
MAX_YEARS = 50
EARLIEST_YEAR = 1901
LATEST_YEAR = 9999 - MAX_YEARS
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _iso_date(value: Any) -> Any:
    if not isinstance(value, str) or not ISO_DATE.fullmatch(value):
        raise PydanticCustomError("iso_date", "Write a date as YYYY-MM-DD, e.g. 2027-12-31.")
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise PydanticCustomError(
            "iso_date", "{value} is not a date in the calendar.", {"value": value}
        ) from None


Money = Annotated[
    Decimal,
    Exact,
    Field(max_digits=14, decimal_places=2),
    decimal_text(AMOUNT, "An amount in whole pennies; negative for a loss.", "50000.00"),
]
Capital = Annotated[
    Decimal,
    Exact,
    Field(gt=0, max_digits=14, decimal_places=2),
    decimal_text(POSITIVE, "An amount in whole pennies, more than zero.", "10000.00"),
]
Hurdle = Annotated[
    Decimal,
    Exact,
    Field(ge=0, max_digits=14, decimal_places=2),
    decimal_text(UNSIGNED, "Surplus kept back before the pool is taken; not negative.", "0"),
]
Percent = Annotated[
    Decimal,
    Exact,
    Field(gt=0, le=100, max_digits=5, decimal_places=2),
    decimal_text(POSITIVE_PERCENT, "A percentage, more than 0 and at most 100.", "25"),
]
Multiple = Annotated[
    Decimal,
    Exact,
    Field(ge=1, max_digits=5, decimal_places=2),
    decimal_text(MULTIPLE, "A multiple of capital, at least 1.", "1.5"),
]
Years = Annotated[int, Field(strict=True, ge=0, le=MAX_YEARS)]
IsoDate = Annotated[datetime.date, BeforeValidator(_iso_date)]


class ScheduleIn(Schema):
    """A return schedule's terms, as on a share class (see `ReturnSchedule`)."""

    model_config = ConfigDict(extra="forbid")

    pool_percent: Percent | None = Field(
        None, description="Share of surplus above the hurdle; null: interest."
    )
    hurdle: Hurdle = Decimal("0")
    grace_years: Years = 0
    weighting: Literal["capital", "capital_days"] = "capital"
    rate_ceiling_percent: Percent | None = None
    cap_multiple: Multiple | None = None
    excess: Literal["retained", "redistribute"] = "retained"
    term_years: Annotated[int, Field(strict=True, ge=1, le=MAX_YEARS)] | None = None
    redeem_at_term_end: Annotated[bool, Field(strict=True)] = False


class HoldingIn(Schema):
    model_config = ConfigDict(extra="forbid")

    ref: Annotated[str, Field(strict=True, min_length=1, max_length=64)]
    capital: Capital
    issued_on: IsoDate


class SimulationIn(Schema):
    """What to simulate: the terms, the holdings in register order, one surplus per year."""

    model_config = ConfigDict(extra="forbid")

    schedule: ScheduleIn
    first_year_end: IsoDate
    holdings: list[HoldingIn] = Field(min_length=1, max_length=MAX_HOLDINGS)
    surpluses: list[Money] = Field(min_length=1, max_length=MAX_YEARS)

    @model_validator(mode="after")
    def _terms_hold_together(self):
        if not EARLIEST_YEAR <= self.first_year_end.year <= LATEST_YEAR:
            refuse(("first_year_end",), f"Choose a year from {EARLIEST_YEAR} to {LATEST_YEAR}.", self)
        first_seen = {}
        for index, holding in enumerate(self.holdings):
            if holding.ref in first_seen:
                refuse(
                    ("holdings", index, "ref"),
                    f"{holding.ref!r} is already the ref of holdings[{first_seen[holding.ref]}]; "
                    "refs must be unique.",
                    self,
                )
            first_seen[holding.ref] = index
        try:
            self.terms()
        except ReturnsError as error:
            loc = (error.field,) if error.field == "first_year_end" else ("schedule", error.field)
            refuse(loc, str(error), self)
        return self

    def terms(self) -> Terms:
        schedule = self.schedule
        return Terms(
            first_year_end=self.first_year_end,
            pool_percent=schedule.pool_percent,
            hurdle=schedule.hurdle,
            grace_years=schedule.grace_years,
            weighting=Weighting(schedule.weighting),
            rate_ceiling_percent=schedule.rate_ceiling_percent,
            cap_multiple=schedule.cap_multiple,
            excess=Excess(schedule.excess),
            term_years=schedule.term_years,
            redeem_at_term_end=schedule.redeem_at_term_end,
        )

    def engine_holdings(self) -> list[Holding]:
        return [
            Holding(
                ref=holding.ref, capital=holding.capital, issued_on=holding.issued_on, register_order=index
            )
            for index, holding in enumerate(self.holdings)
        ]


class LineOut(Schema):
    ref: str
    paid: str
    redeemed: str
    cumulative: str = Field(description="Payments plus capital redeemed so far.")
    status: Literal["active", "capped", "redeemed"]


class YearOut(Schema):
    year: int
    year_end: datetime.date
    pool: str
    paid: str
    retained: str
    lines: list[LineOut]


class TotalOut(Schema):
    ref: str
    paid: str
    redeemed: str
    multiple: str = Field(description="(paid + redeemed) / capital, four decimals, rounded half up.")


class SimulationOut(Schema):
    years: list[YearOut]
    totals: list[TotalOut]


SimulationInputError = InputError


def parse_simulation(data: Any) -> SimulationIn:
    """Check decoded JSON against the interface, as the API does before it calls the engine."""
    try:
        return SimulationIn.model_validate(data)
    except pydantic.ValidationError as error:
        raise SimulationInputError(error_messages(error)) from None


def parse_simulation_json(text: str) -> SimulationIn:
    return parse_with(parse_simulation, text)


def run_simulation(request: SimulationIn) -> dict:
    """Simulate a checked request and render the answer as the interface's JSON-ready dict."""
    simulation = simulate(
        terms=request.terms(), holdings=request.engine_holdings(), surpluses=request.surpluses
    )
    return render(simulation)


def render(simulation: Simulation) -> dict:
    """Money as strings with two decimals, multiples with four, dates as YYYY-MM-DD."""
    return {
        "years": [
            {
                "year": year.year,
                "year_end": year.ends_on.isoformat(),
                "pool": _text(year.pool),
                "paid": _text(year.paid),
                "retained": _text(year.retained),
                "lines": [
                    {
                        "ref": line.ref,
                        "paid": _text(line.paid),
                        "redeemed": _text(line.redeemed),
                        "cumulative": _text(line.cumulative),
                        "status": line.status.value,
                    }
                    for line in year.lines
                ],
            }
            for year in simulation.years
        ],
        "totals": [
            {
                "ref": t.ref,
                "paid": _text(t.paid),
                "redeemed": _text(t.redeemed),
                "multiple": _text(t.multiple),
            }
            for t in simulation.totals
        ],
    }


def _text(value: Decimal) -> str:
    """The engine's amounts are already exact to the penny (multiples to 1/10,000): no rounding here."""
    return format(value, "f")
