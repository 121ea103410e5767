"""What an offer page shows, worked out for one request: the offer's figures and the simulator's answer.

Kept out of the page model so that the model says what a page *is* and this says what it *shows*.
Every figure comes from a service or the returns engine; nothing here does sums of its own.
"""

from dataclasses import dataclass

from django.core.exceptions import ObjectDoesNotExist
from django.utils import timezone
from djmoney.money import Money

from capital.models import Offer, ReturnSchedule
from capital.money import format_money, whole_shares
from capital.returns import ReturnsError, Terms
from capital.returns.wording import describe_terms
from capital.services import offer_is_accepting
from cms.chart import Chart, build_chart
from cms.forms import OWN_FIGURE, SimulatorForm
from cms.simulation import Projection, SimulatorUnavailable, project_returns, scenarios
from cms.wording import describe_rights
from investors.applications.progress import days_left, offer_progress

CURRENCY_SYMBOLS = {"GBP": "£", "EUR": "€"}
EXAMPLE_AMOUNT = 1000  # what the simulator shows before a visitor types anything
SIMULATOR_FIELDS = ("amount", "scenario", "surplus")


@dataclass
class Simulator:
    form: SimulatorForm
    submitted: bool
    pays_from_profit: bool
    chosen_scenario: str
    currency_symbol: str
    projection: Projection | None = None
    chart: Chart | None = None
    unavailable: str = ""


def offer_page_context(request, page) -> dict:
    offer = Offer.objects.select_related("share_class__society", "share_class__return_schedule").get(
        pk=page.offer_id
    )
    schedule = return_schedule_of(offer)
    now = timezone.now()
    currency = str(offer.price_per_share.currency)
    progress = offer_progress(offer, now)
    facts = key_facts(offer, schedule)
    return {
        "search_description": page.search_description or search_description(offer, facts),
        "offer": offer,
        "society": offer.share_class.society,
        "share_class": offer.share_class,
        "progress": progress,
        "accepting": offer_is_accepting(offer, now),
        "not_yet_open": offer.opens_later(now),
        "days_left": days_left(offer, now),
        "rights": describe_rights(offer.share_class),
        "terms_in_words": _terms_in_words(schedule, currency),
        "key_facts": facts,
        "simulator": (
            simulator_for(request, page, offer, schedule, existing_capital=progress.existing_capital)
            if schedule is not None
            else None
        ),
    }


@dataclass(frozen=True)
class KeyFact:
    label: str
    value: str


def key_facts(offer: Offer, schedule: ReturnSchedule | None) -> list[KeyFact]:
    """The offer at a glance, for the strip at the top of its page and its search description."""
    closes = timezone.localtime(offer.closes_at)
    return [
        KeyFact("Target", f"{format_money(offer.minimum_target)} to {format_money(offer.maximum_target)}"),
        KeyFact("Price", f"{format_money(offer.price_per_share)} a share"),
        KeyFact(
            "Per investor",
            f"{format_money(offer.minimum_per_investor)} to {format_money(offer.maximum_per_investor)}",
        ),
        KeyFact("Return", return_in_plain_words(offer, schedule)),
        KeyFact("Term", _term_in_words(schedule)),
        KeyFact("Closes", f"{closes:%-d %B %Y}"),
    ]


def return_in_plain_words(offer: Offer, schedule: ReturnSchedule | None) -> str:
    if schedule is None:
        declared = offer.share_class.declared_maximum_interest_percent
        if declared is not None:
            return f"Interest of up to {declared.normalize():f}% a year, when the society can afford it"
        return "No financial return: shares held for membership"
    try:
        terms = Terms.from_schedule(schedule)
    except ReturnsError:
        return "See how returns are paid"
    if terms.is_interest:
        return f"Interest of up to {terms.rate_ceiling_percent.normalize():f}% a year, declared by the board"
    words = f"{terms.pool_percent.normalize():f}% of each year's surplus shared among investors"
    if terms.cap_multiple is not None:
        words += f", up to {terms.cap_multiple.normalize():f} times your capital"
    return words


def _term_in_words(schedule: ReturnSchedule | None) -> str:
    if schedule is None or schedule.term_years is None:
        return "No fixed term"
    years = "1 year" if schedule.term_years == 1 else f"{schedule.term_years} years"
    return f"{years}, capital repaid at the end" if schedule.redeem_at_term_end else years


def search_description(offer: Offer, facts: list[KeyFact]) -> str:
    """One sentence of key facts for search engines, when the page gives no description of its own."""
    return (
        f"{offer.share_class.society.name} share offer: "
        + "; ".join(f"{fact.label.lower()} {fact.value}" for fact in facts)
        + "."
    )


def return_schedule_of(offer: Offer) -> ReturnSchedule | None:
    try:
        return offer.share_class.return_schedule
    except ObjectDoesNotExist:
        return None


def _terms_in_words(schedule: ReturnSchedule | None, currency: str) -> list[str]:
    if schedule is None:
        return []
    try:
        return describe_terms(Terms.from_schedule(schedule), currency)
    except ReturnsError:
        return []


def simulator_for(
    request, page, offer: Offer, schedule: ReturnSchedule, *, existing_capital: Money
) -> Simulator:
    """The simulator's form and, when the figures are good, its answer and chart. The class's
    `existing_capital` shares the profit pool with the visitor and the rest of the offer.

    Before a visitor asks anything the page shows a worked example; bad figures get their message
    beside the field and no chart.
    """
    pays_from_profit = schedule.pool_percent is not None
    submitted = any(name in request.GET for name in SIMULATOR_FIELDS)
    data = request.GET if submitted else {"amount": str(example_amount(offer)), "scenario": "medium"}
    form = SimulatorForm(
        data,
        offer=offer,
        scenarios=scenarios(offer, page.scenario_figures()),
        pays_from_profit=pays_from_profit,
    )
    currency = str(offer.price_per_share.currency)
    simulator = Simulator(
        form=form,
        submitted=submitted,
        pays_from_profit=pays_from_profit,
        chosen_scenario=_chosen_scenario(form),
        currency_symbol=CURRENCY_SYMBOLS.get(currency, f"{currency} "),
    )
    if not form.is_valid():
        return simulator
    simulator.chosen_scenario = form.cleaned_data.get("scenario", "")
    try:
        simulator.projection = project_returns(
            offer=offer,
            schedule=schedule,
            amount=form.cleaned_data["amount"],
            surplus=form.surplus_per_year(),
            existing_capital=existing_capital.amount,
        )
    except SimulatorUnavailable as error:
        simulator.unavailable = str(error)
        return simulator
    simulator.chart = build_chart(simulator.projection, simulator.currency_symbol)
    return simulator


def example_amount(offer: Offer):
    """A round example within the offer's limits, in whole shares."""
    price = offer.price_per_share
    wanted = Money(EXAMPLE_AMOUNT, price.currency)
    ceiling = min(offer.maximum_per_investor, offer.maximum_target)
    amount = price * whole_shares(min(max(wanted, offer.minimum_per_investor), ceiling), price)
    return max(amount, offer.minimum_per_investor).amount


def _chosen_scenario(form: SimulatorForm) -> str:
    if "scenario" not in form.fields:
        return ""
    if (form.data.get("surplus") or "").strip():
        return OWN_FIGURE
    return form.data.get("scenario") or "medium"
