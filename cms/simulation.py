"""The offer page's "what would I get" simulator.

A visitor's amount and a profit scenario become the public simulator's input (the JSON that
`POST /api/v1/returns/simulate` takes), and `run_simulation`, the function that endpoint calls,
does the sums: the page and the API cannot disagree. A share of profit is split among every
holding of the class, so the visitor's holding is simulated beside the rest of the offer, assumed
fully subscribed (a full offer gives each pound the smallest share, so the figures lean
cautious), and beside the capital the class's existing holders have paid up already.
"""

import datetime
import logging
from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone
from djmoney.money import Money

from capital.api.simulator_schema import MAX_YEARS, SimulationInputError, parse_simulation, run_simulation
from capital.models import Offer, ReturnSchedule
from capital.money import round_half_up
from capital.returns import ReturnsError, Terms, cap_amount

logger = logging.getLogger(__name__)

YOU = "You"
OTHER_INVESTORS = "Other investors"
EXISTING_HOLDERS = "Existing holders"
# Without a term, returns are shown for this many years from the first year the shares take part.
YEARS_WITHOUT_TERM = 20
# A surplus each year as a share of the offer's maximum target, when the page gives no figures.
DEFAULT_SCENARIO_SHARES = {"low": Decimal("0.05"), "medium": Decimal("0.15"), "high": Decimal("0.30")}
SCENARIO_LABELS = {"low": "Low", "medium": "Medium", "high": "High"}


class SimulatorUnavailable(Exception):
    """The offer's terms leave nothing to simulate; the message says why, for the page."""


@dataclass(frozen=True)
class Scenario:
    key: str
    label: str
    surplus: Money


@dataclass(frozen=True)
class YearRow:
    year: int
    year_end: datetime.date
    paid: Money
    redeemed: Money
    cumulative: Money
    status: str
    ends_holding: bool = False  # the year the holding reaches its cap or is repaid

    @property
    def received(self) -> Money:
        return self.paid + self.redeemed


@dataclass(frozen=True)
class Projection:
    """What the visitor's holding would receive, year by year, as the simulator answered."""

    amount: Money
    surplus: Money | None
    issued_on: datetime.date
    rows: list[YearRow]
    paid: Money
    redeemed: Money
    multiple: Decimal
    cap: Money | None
    existing_capital: Money  # what the class's holders had already, sharing the pool too

    @property
    def received(self) -> Money:
        return self.paid + self.redeemed

    @property
    def reaches_cap(self) -> bool:
        """What is paid reaches the cap. The cap counts returns and capital repaid together, so
        the capital repaid may then be less than the amount invested without any loss."""
        return self.cap is not None and self.received >= self.cap

    @property
    def beyond_capital(self) -> Money:
        """What was received above the money put in (negative: less came back than went in)."""
        return self.received - self.amount


def scenarios(offer: Offer, figures: dict[str, Decimal | None]) -> list[Scenario]:
    """Low, medium and high surplus each year: the page's own figures, or a share of the target."""
    target = offer.maximum_target
    chosen = []
    for key, share in DEFAULT_SCENARIO_SHARES.items():
        figure = figures.get(key)
        amount = figure if figure is not None else round_half_up(target.amount * share)
        surplus = Money(amount, target.currency)
        chosen.append(Scenario(key=key, label=SCENARIO_LABELS[key], surplus=surplus))
    return chosen


def issue_date(offer: Offer) -> datetime.date:
    """Shares are issued when the offer closes; the simulation counts from that day."""
    return timezone.localdate(offer.closes_at)


def simulation_input(
    *,
    offer: Offer,
    schedule: ReturnSchedule,
    amount: Decimal,
    surplus: Decimal,
    existing_capital: Decimal = Decimal(0),
) -> dict:
    """The public simulator's JSON for `amount` invested in `offer`, `surplus` declared every year.

    The holdings are, in register order: the class's existing holders (`existing_capital`, issued
    by today), then the visitor and the rest of the offer's maximum, issued when it closes.
    """
    terms = Terms.from_schedule(schedule)
    issued_on = issue_date(offer)
    first_year = _first_year_taking_part(terms, issued_on)
    last_year = min(terms.term_years or first_year + YEARS_WITHOUT_TERM - 1, MAX_YEARS)
    if first_year > last_year:
        raise SimulatorUnavailable("The term of these shares ends before new shares would take part.")
    holdings = []
    if existing_capital > 0:
        existing_since = min(timezone.localdate(), issued_on)
        holdings.append(
            {
                "ref": EXISTING_HOLDERS,
                "capital": _text(existing_capital),
                "issued_on": existing_since.isoformat(),
            }
        )
    holdings.append({"ref": YOU, "capital": _text(amount), "issued_on": issued_on.isoformat()})
    others = offer.maximum_target.amount - amount
    if others > 0:
        holdings.append(
            {"ref": OTHER_INVESTORS, "capital": _text(others), "issued_on": issued_on.isoformat()}
        )
    return {
        "schedule": {
            "pool_percent": _text(schedule.pool_percent),
            "hurdle": _text(schedule.hurdle.amount),
            "grace_years": schedule.grace_years,
            "weighting": schedule.weighting,
            "rate_ceiling_percent": _text(schedule.rate_ceiling_percent),
            "cap_multiple": _text(schedule.cap_multiple),
            "excess": schedule.excess,
            "term_years": schedule.term_years,
            "redeem_at_term_end": schedule.redeem_at_term_end,
        },
        "first_year_end": schedule.first_year_end.isoformat(),
        "holdings": holdings,
        "surpluses": [_text(surplus)] * last_year,
    }


def project_returns(
    *,
    offer: Offer,
    schedule: ReturnSchedule,
    amount: Decimal,
    surplus: Decimal | None,
    existing_capital: Decimal = Decimal(0),
) -> Projection:
    """Run the simulator for one visitor. `surplus` is ignored (None) for an interest schedule;
    `existing_capital` is the class's paid-up capital from before this offer (`offer_progress`)."""
    try:
        data = simulation_input(
            offer=offer,
            schedule=schedule,
            amount=amount,
            surplus=surplus or Decimal(0),
            existing_capital=existing_capital,
        )
        output = run_simulation(parse_simulation(data))
    except (SimulationInputError, ReturnsError) as error:
        logger.warning("The simulator refused the terms of offer %s: %s", offer.pk, error)
        raise SimulatorUnavailable("The simulator cannot work with this offer's terms yet.") from error
    currency = str(offer.price_per_share.currency)
    issued_on = issue_date(offer)
    rows = []
    for year in output["years"]:
        year_end = datetime.date.fromisoformat(year["year_end"])
        if year_end < issued_on:
            continue  # years before the shares exist: nothing to show
        line = next(line for line in year["lines"] if line["ref"] == YOU)
        ended = line["status"] != "active"
        rows.append(
            YearRow(
                year=year["year"],
                year_end=year_end,
                paid=Money(line["paid"], currency),
                redeemed=Money(line["redeemed"], currency),
                cumulative=Money(line["cumulative"], currency),
                status=line["status"],
                ends_holding=ended,
            )
        )
        if ended:
            break  # a capped or repaid holding is cancelled: nothing follows
    total = next(total for total in output["totals"] if total["ref"] == YOU)
    cap = None
    if schedule.cap_multiple is not None:
        cap = Money(cap_amount(amount, schedule.cap_multiple), currency)
    return Projection(
        amount=Money(amount, currency),
        surplus=Money(surplus, currency) if surplus is not None else None,
        issued_on=issued_on,
        rows=rows,
        paid=Money(total["paid"], currency),
        redeemed=Money(total["redeemed"], currency),
        multiple=Decimal(total["multiple"]),
        cap=cap,
        existing_capital=Money(existing_capital, currency),
    )


def _first_year_taking_part(terms: Terms, issued_on: datetime.date) -> int:
    year = 1
    while terms.year_end(year) < issued_on and year <= MAX_YEARS:
        year += 1
    return year


def _text(value: Decimal | None) -> str | None:
    return None if value is None else format(value, "f")
