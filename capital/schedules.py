"""A share class's return schedule, set by its board: saving it, and previewing what it pays.

The schedule is the promise an investor relies on, so it is fixed once an offer of its class has
opened (or shares of the class are on the register). The preview runs the public simulator's own
input and engine (`capital.api.simulator_schema`) on sample figures, so what a board sees before
saving is what the offer page's simulator and the year's distribution run will compute.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from djmoney.money import Money

from capital import permissions
from capital.api.simulator_schema import SimulationInputError, parse_simulation, run_simulation
from capital.errors import CapitalError
from capital.models import Offer, ReturnSchedule, ShareClass
from capital.returns import ReturnsError, Terms
from capital.returns.wording import describe_terms
from capital.services import record_audit

SAMPLE_HOLDING = Decimal("1000.00")
SAMPLE_CLASS_CAPITAL = Decimal("10000.00")  # the sample holding and others, sharing any pool
SAMPLE_SURPLUS = Decimal("2000.00")  # declared every year of the sample
SAMPLE_YEARS = 10  # shown when the schedule has no shorter term
FROZEN_MESSAGE = (
    "An offer of this class has opened (or its shares are on the register): investors rely on its "
    "return schedule, which can no longer change."
)


class ScheduleError(CapitalError):
    """A schedule refused, with the field the message is about (None: the whole schedule)."""

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.field = field


def schedule_is_frozen(share_class: ShareClass) -> bool:
    """Investors may rely on the terms: an offer of the class opened, or its shares were issued."""
    return share_class.offers.exclude(state=Offer.State.DRAFT).exists() or share_class.ledger_entries.exists()


def schedule_errors(schedule: ReturnSchedule) -> dict[str, list[str]]:
    """Every refusal of `schedule`'s terms, by field, in a board's words: the model's fields, the
    rules its constraints and the engine hold, and the declared maximum rate (interest must be
    declared in advance, and is never paid above it)."""
    errors: dict[str, list[str]] = {}
    try:
        schedule.full_clean(exclude=["share_class"], validate_constraints=False, validate_unique=False)
    except ValidationError as error:
        for field, messages in error.message_dict.items():
            errors.setdefault(field, []).extend(messages)
    for field, message in _rule_refusals(schedule):
        if field not in errors:
            errors[field] = [message]
    if not errors:
        try:
            Terms.from_schedule(schedule)
        except ReturnsError as error:
            errors.setdefault(error.field or "__all__", []).append(str(error))
    return errors


def _rule_refusals(schedule: ReturnSchedule):
    end = schedule.first_year_end
    if end is not None and (end.month, end.day) == (2, 29):
        yield "first_year_end", "29 February cannot end a financial year: it is missing three years in four."
    pool, rate = schedule.pool_percent, schedule.rate_ceiling_percent
    if pool is not None and not 0 < pool <= 100:
        yield "pool_percent", "The pool is more than 0% and at most 100% of the surplus above the hurdle."
    if pool is None and rate is None:
        yield "rate_ceiling_percent", "Interest (no pool) needs a rate: give the rate ceiling."
    if rate is not None and rate <= 0:
        yield "rate_ceiling_percent", "The rate must be more than 0%."
    declared = schedule.share_class.declared_maximum_interest_percent if schedule.share_class_id else None
    if schedule.share_class_id and pool is None and declared is None:
        yield (
            "rate_ceiling_percent",
            (
                "Interest needs a maximum rate declared in advance: set the class's declared maximum rate "
                "of interest first."
            ),
        )
    if schedule.cap_multiple is not None and schedule.cap_multiple < 1:
        yield "cap_multiple", "The cap is a multiple of capital of at least 1 (the capital itself)."
    if schedule.hurdle is not None and schedule.hurdle.amount < 0:
        yield "hurdle", "The hurdle cannot be negative."
    if schedule.term_years is not None and schedule.term_years < 1:
        yield "term_years", "The term is at least one year."
    if schedule.redeem_at_term_end and schedule.term_years is None:
        yield "term_years", "Redeeming at the term's end needs a term in years."


def save_return_schedule(*, schedule: ReturnSchedule, by=None) -> ReturnSchedule:
    """Create or change a class's return schedule while no investor relies on it yet."""
    errors = schedule_errors(schedule)
    if errors:
        field, messages = next(iter(errors.items()))
        raise ScheduleError(" ".join(messages), field=None if field == "__all__" else field)
    with transaction.atomic():
        share_class = (
            ShareClass.objects.select_for_update().select_related("society").get(pk=schedule.share_class_id)
        )
        permissions.require(by, "manage_share_classes", share_class.society)
        creating = schedule.pk is None
        if not creating:
            current = ReturnSchedule.objects.select_for_update().get(pk=schedule.pk)
            if current.share_class_id != schedule.share_class_id:
                raise ScheduleError("A return schedule cannot move to another class.", field="share_class")
            share_class = ShareClass.objects.select_related("society").get(pk=current.share_class_id)
        elif ReturnSchedule.objects.filter(share_class=share_class).exists():
            raise ScheduleError(
                f"{share_class.name} already has a return schedule: change that one.", field="share_class"
            )
        if schedule_is_frozen(share_class):
            raise ScheduleError(FROZEN_MESSAGE)
        try:
            schedule.save()
        except IntegrityError as error:
            raise ScheduleError(f"The return schedule could not be saved: {error}") from error
        terms = Terms.from_schedule(schedule)
        record_audit(
            society=share_class.society,
            actor=by,
            action="return_schedule.created" if creating else "return_schedule.changed",
            summary=f"{share_class.name}: {' '.join(describe_terms(terms, share_class.society.currency))}",
            share_class=share_class.pk,
            terms=terms.to_record(),
        )
    return schedule


@dataclass(frozen=True)
class PreviewYear:
    year: int
    year_end: datetime.date
    paid: Money
    redeemed: Money
    cumulative: Money
    status: str


@dataclass(frozen=True)
class Preview:
    """What a sample holding would receive, year by year, under the schedule."""

    holding: Money
    class_capital: Money
    surplus: Money | None  # None for interest, which takes no surplus figure
    years: list[PreviewYear]
    paid: Money
    redeemed: Money
    multiple: Decimal
    in_words: list[str]


def preview_schedule(
    schedule: ReturnSchedule,
    *,
    holding: Decimal = SAMPLE_HOLDING,
    class_capital: Decimal = SAMPLE_CLASS_CAPITAL,
    surplus: Decimal = SAMPLE_SURPLUS,
) -> Preview:
    """Run the public simulator on `holding` among `class_capital`, all issued at the start of
    the first financial year, with `surplus` declared every year. Refuses terms it cannot run."""
    terms = Terms.from_schedule(schedule)
    years = min(terms.term_years or SAMPLE_YEARS, SAMPLE_YEARS + terms.grace_years)
    issued_on = terms.year_start(1)
    holdings = [{"ref": "sample", "capital": _text(holding), "issued_on": issued_on.isoformat()}]
    if class_capital > holding:
        holdings.append(
            {"ref": "others", "capital": _text(class_capital - holding), "issued_on": issued_on.isoformat()}
        )
    data = {
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
        "first_year_end": terms.first_year_end.isoformat(),
        "holdings": holdings,
        "surpluses": [_text(surplus)] * years,
    }
    try:
        output = run_simulation(parse_simulation(data))
    except SimulationInputError as error:
        raise ScheduleError(f"These terms cannot be previewed: {error}") from error
    currency = schedule.share_class.society.currency if schedule.share_class_id else "GBP"
    rows = []
    for year in output["years"]:
        line = next(line for line in year["lines"] if line["ref"] == "sample")
        rows.append(
            PreviewYear(
                year=year["year"],
                year_end=datetime.date.fromisoformat(year["year_end"]),
                paid=Money(line["paid"], currency),
                redeemed=Money(line["redeemed"], currency),
                cumulative=Money(line["cumulative"], currency),
                status=line["status"],
            )
        )
        if line["status"] != "active":
            break
    total = next(total for total in output["totals"] if total["ref"] == "sample")
    return Preview(
        holding=Money(holding, currency),
        class_capital=Money(class_capital, currency),
        surplus=None if terms.is_interest else Money(surplus, currency),
        years=rows,
        paid=Money(total["paid"], currency),
        redeemed=Money(total["redeemed"], currency),
        multiple=Decimal(total["multiple"]),
        in_words=describe_terms(terms, currency),
    )


def _text(value: Decimal | None) -> str | None:
    return None if value is None else format(value, "f")
