"""The offer page's "what would I get" simulator: the same numbers as the API, a chart drawn on the
server, and clear messages for figures it cannot use."""

import json
import re
from decimal import Decimal
from html import unescape

import pytest
from django.utils import timezone

from capital.money import format_money
from capital.returns import Holding, Terms, simulate
from capital.services import close_offer
from cms.chart import build_chart
from cms.forms import AmountField
from cms.simulation import EXISTING_HOLDERS, OTHER_INVESTORS, YOU, project_returns, scenarios
from investors.applications.allocation import allocate_offer
from investors.applications.progress import offer_progress
from investors.applications.services import apply_for_shares
from investors.models import Application
from investors.payments.services import confirm_payment
from shares.services.register import issue_shares
from tests import factories
from tests.cms.pages import add_offer_page, add_schedule, add_society_page
from tests.factories import gbp

API = "/api/v1/returns/simulate"
BANK = Application.PaymentMethod.BANK_TRANSFER


@pytest.fixture
def offer(investor_class):
    add_schedule(investor_class)
    return factories.OpenOfferFactory(
        share_class=investor_class,
        minimum_target=gbp(5000),
        maximum_target=gbp(20000),
        minimum_per_investor=gbp(100),
        maximum_per_investor=gbp(5000),
    )


@pytest.fixture
def offer_page(society, offer):
    return add_offer_page(add_society_page(society), offer)


def table_rows(html: str) -> list[list[str]]:
    """The simulator table's body: [year, paid, repaid, total so far] as the page shows them."""
    rows = []
    for year, cells in re.findall(r'<tr data-year="(\d+)">(.*?)</tr>', html, re.S):
        values = [unescape(value).strip() for value in re.findall(r'<td class="num">(.*?)</td>', cells, re.S)]
        rows.append([year, *values])
    return rows


def table_totals(html: str) -> list[str]:
    footer = re.search(r"<tfoot>(.*?)</tfoot>", html, re.S).group(1)
    return [unescape(value).strip() for value in re.findall(r'<td class="num">(.*?)</td>', footer, re.S)]


def field_error(html: str, field: str) -> str:
    found = re.search(rf'<p class="field__error" id="simulator-{field}-error">(.*?)</p>', html, re.S)
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", "", found.group(1)))).strip() if found else ""


def assert_no_chart(html: str):
    assert 'class="chart__svg"' not in html and "sim-table" not in html


def api_input(offer, *, amount: str, surplus: str, existing: str | None = None) -> dict:
    """The API request for this offer's terms, written out by hand from the schedule: the class's
    existing holders first (issued by today), then the visitor and the rest of the offer's
    maximum (issued when it closes)."""
    schedule = offer.share_class.return_schedule
    issued_on = timezone.localdate(offer.closes_at).isoformat()  # shares are issued when it closes
    existing_holders = (
        [{"ref": EXISTING_HOLDERS, "capital": existing, "issued_on": timezone.localdate().isoformat()}]
        if existing
        else []
    )
    return {
        "schedule": {
            "pool_percent": "25.00",
            "hurdle": "0.00",
            "grace_years": 1,
            "weighting": "capital",
            "rate_ceiling_percent": "7.00",
            "cap_multiple": "1.50",
            "excess": "retained",
            "term_years": 12,
            "redeem_at_term_end": True,
        },
        "first_year_end": schedule.first_year_end.isoformat(),
        "holdings": [
            *existing_holders,
            {"ref": YOU, "capital": amount, "issued_on": issued_on},
            {"ref": OTHER_INVESTORS, "capital": str(20000 - Decimal(amount)), "issued_on": issued_on},
        ],
        "surpluses": [surplus] * 12,
    }


def money(text: str) -> str:
    return format_money(gbp(Decimal(text)))


# --- the same numbers as the API -------------------------------------------------------------------


def test_the_table_shows_exactly_what_the_api_answers_for_the_same_input(client, offer, offer_page):
    html = client.get(
        offer_page.url, {"amount": "2500", "scenario": "own", "surplus": "30000"}
    ).content.decode()
    answer = client.post(
        API,
        data=json.dumps(api_input(offer, amount="2500", surplus="30000")),
        content_type="application/json",
    )
    assert answer.status_code == 200
    years = answer.json()["years"]

    rows = table_rows(html)
    assert len(rows) == 12  # the whole term; the capital comes back after the last year
    for year, paid, repaid, total in rows:
        line = next(line for line in years[int(year) - 1]["lines"] if line["ref"] == YOU)
        assert [paid, repaid, total] == [
            money(line["paid"]),
            money(line["redeemed"]),
            money(line["cumulative"]),
        ]
    mine = next(total for total in answer.json()["totals"] if total["ref"] == YOU)
    assert table_totals(html) == [
        money(mine["paid"]),
        money(mine["redeemed"]),
        money(str(Decimal(mine["paid"]) + Decimal(mine["redeemed"]))),
    ]
    assert f"{Decimal(mine['multiple']).quantize(Decimal('0.01'))}×" in html
    # A sanity check on the answer itself: the rate ceiling (7% of £2,500) binds in a good year, and
    # the capital repaid at the end stops at the cap of 1.5 × £2,500.
    assert rows[1][1] == "£175.00" and rows[-1][3] == "£3,750.00"


def test_existing_holders_of_the_class_share_the_pool_as_they_will_in_a_real_run(client, offer, offer_page):
    """£10,000 already in the class: the visitor's share of profit is smaller, and exactly what the
    API answers when the existing holders are a holding beside the visitor and the offer."""
    query = {"amount": "2500", "scenario": "own", "surplus": "4000"}
    alone = table_rows(client.get(offer_page.url, query).content.decode())
    issue_shares(
        society=offer.society,
        holder=factories.HolderFactory(),
        share_class=offer.share_class,
        shares=10000,
        amount=gbp(10000),
    )
    html = client.get(offer_page.url, query).content.decode()
    answer = client.post(
        API,
        data=json.dumps(api_input(offer, amount="2500", surplus="4000", existing="10000.00")),
        content_type="application/json",
    )
    assert answer.status_code == 200
    years = answer.json()["years"]
    rows = table_rows(html)
    for year, paid, repaid, total in rows:
        line = next(line for line in years[int(year) - 1]["lines"] if line["ref"] == YOU)
        assert [paid, repaid, total] == [
            money(line["paid"]),
            money(line["redeemed"]),
            money(line["cumulative"]),
        ]
    assert {line["ref"] for line in years[0]["lines"]} == {EXISTING_HOLDERS, YOU, OTHER_INVESTORS}
    # A pool of 25% of £4,000, split over £30,000 rather than £20,000 (both below the 7% ceiling).
    assert alone[1][1] == "£125.00" and rows[1][1] == "£83.33"
    assert "and the £10,000.00 that existing holders have already paid for Investor shares" in re.sub(
        r"\s+", " ", unescape(html)
    )


def test_existing_capital_leaves_out_what_this_offer_issued_itself(offer):
    """The offer's own issued shares are already in the simulation as the offer's maximum."""
    for reference in ("A1", "A2"):
        application = apply_for_shares(
            offer=offer, holder=factories.HolderFactory(), shares=3000, payment_method=BANK
        )
        confirm_payment(
            application=application, amount=application.amount, method=BANK, provider_reference=reference
        )
    issue_shares(
        society=offer.society,
        holder=factories.HolderFactory(),
        share_class=offer.share_class,
        shares=700,
        amount=gbp(700),
    )
    assert offer_progress(offer).existing_capital == gbp(700)
    allocate_offer(offer=close_offer(offer=offer))
    assert offer.share_class.holdings.count() == 3
    assert offer_progress(offer).existing_capital == gbp(700)


def test_the_projection_equals_the_engine_run_directly(offer):
    schedule = offer.share_class.return_schedule
    projection = project_returns(
        offer=offer, schedule=schedule, amount=Decimal("1000"), surplus=Decimal("12000")
    )
    issued_on = projection.issued_on
    engine = simulate(
        terms=Terms.from_schedule(schedule),
        holdings=[
            Holding(ref="mine", capital=Decimal("1000"), issued_on=issued_on, register_order=0),
            Holding(ref="theirs", capital=Decimal("19000"), issued_on=issued_on, register_order=1),
        ],
        surpluses=[Decimal("12000")] * 12,
    )
    expected = [
        (year.year, line.paid, line.redeemed, line.cumulative)
        for year in engine.years
        for line in year.lines
        if line.ref == "mine"
    ]
    assert [
        (r.year, r.paid.amount, r.redeemed.amount, r.cumulative.amount) for r in projection.rows
    ] == expected
    assert projection.paid.amount == engine.totals[0].paid
    assert projection.cap == gbp(1500)


def test_interest_classes_simulate_at_the_declared_maximum_rate(client, society):
    interest_class = factories.InvestorClassFactory(society=society, name="Loan-like shares")
    add_schedule(interest_class, pool_percent=None, rate_ceiling_percent=Decimal("4.00"), cap_multiple=None)
    offer = factories.OpenOfferFactory(share_class=interest_class, maximum_target=gbp(10000))
    interest_page = add_offer_page(add_society_page(society), offer)

    html = client.get(interest_page.url, {"amount": "1000"}).content.decode()
    assert 'name="scenario"' not in html and 'name="surplus"' not in html
    rows = table_rows(html)
    assert rows[1][1] == "£40.00"  # 4% of £1,000 for a whole year
    assert "Interest of up to 4% a year on your capital." in unescape(html)


# --- what a visitor meets -------------------------------------------------------------------------


def test_before_any_input_the_page_shows_a_worked_example(client, offer_page):
    html = client.get(offer_page.url).content.decode()
    assert "An example: £1,000.00, medium scenario" in unescape(html)
    assert 'class="chart__svg"' in html and len(table_rows(html)) == 12
    assert 'value="medium" checked' in html


def test_scenarios_come_from_the_page_or_a_share_of_the_target(client, offer, offer_page):
    assert [(s.key, s.surplus) for s in scenarios(offer, offer_page.scenario_figures())] == [
        ("low", gbp(1000)),
        ("medium", gbp(3000)),
        ("high", gbp(6000)),
    ]
    offer_page.medium_surplus = Decimal("4500.00")
    offer_page.save()
    html = unescape(client.get(offer_page.url, {"amount": "500", "scenario": "medium"}).content.decode())
    assert "Medium: £4,500.00 a year" in html
    assert "the society's surplus is £4,500.00 every year" in re.sub(r"<[^>]+>", "", html)


def test_a_typed_surplus_is_used_whatever_scenario_is_ticked(client, offer_page):
    html = client.get(
        offer_page.url, {"amount": "500", "scenario": "low", "surplus": "£50,000"}
    ).content.decode()
    assert "the society's surplus is £50,000.00 every year" in re.sub(r"<[^>]+>", "", unescape(html))
    assert 'value="own" checked' in html


def test_amounts_are_read_as_people_type_them():
    field = AmountField()
    assert field.clean("£1,250.50") == Decimal("1250.50")
    assert field.clean(" 2 000 ") == Decimal("2000")


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ({"amount": "lots"}, "amount", "Enter the amount as a number, for example 1000 or 1,000.00."),
        ({"amount": ""}, "amount", "Enter the amount you would invest, for example 1000."),
        ({"amount": "99"}, "amount", "The least you can invest in this offer is £100.00."),
        ({"amount": "5001"}, "amount", "The most you can invest in this offer is £5,000.00."),
        ({"amount": "250.50"}, "amount", "Shares are £1.00 each: choose an amount that buys whole shares."),
        ({"amount": "250.125"}, "amount", "Enter whole pennies at most, for example 1000.50."),
        (
            {"amount": "500", "scenario": "own"},
            "surplus",
            "Enter the surplus you expect each year, or choose a scenario.",
        ),
        (
            {"amount": "500", "surplus": "a good year"},
            "surplus",
            "Enter the surplus as a number, for example 25000.",
        ),
    ],
)
def test_figures_it_cannot_use_get_a_message_by_the_field_and_no_chart(
    client, offer_page, query, field, message
):
    response = client.get(offer_page.url, query)
    html = response.content.decode()
    assert response.status_code == 200
    assert field_error(html, field) == f"Error: {message}"
    assert f'id="simulator-{field}"' in html and 'aria-invalid="true"' in html
    assert f'<a href="#simulator-{field}">' in html  # the summary links to the field
    assert_no_chart(html)


def test_a_scenario_error_in_the_summary_links_to_the_scenario_choices(client, offer_page):
    html = client.get(offer_page.url, {"amount": "500", "scenario": "boom"}).content.decode()
    summary = re.search(r'<div class="error-summary".*?</div>', html, re.S).group(0)
    [anchor] = re.findall(r'<a href="#([^"]+)">', summary)
    assert anchor == "simulator-scenario"
    fieldset = re.search(rf'<fieldset[^>]* id="{anchor}"[^>]*>', html).group(0)
    assert 'aria-describedby="simulator-scenario-hint simulator-scenario-error"' in fieldset
    assert field_error(html, "scenario") == "Error: Choose one of the scenarios, or give your own figure."
    assert "boom" not in html, "what was typed is not echoed back"
    assert_no_chart(html)


# --- the chart -------------------------------------------------------------------------------------


def test_the_chart_draws_bars_line_and_cap_to_scale(offer):
    projection = project_returns(
        offer=offer,
        schedule=offer.share_class.return_schedule,
        amount=Decimal("2000"),
        surplus=Decimal("20000"),
    )
    chart = build_chart(projection, "£")
    plot_height = chart.bottom - chart.top
    top_value = float(chart.y_ticks[-1].label.replace("£", "").replace(",", ""))
    assert top_value >= 3000  # the axis reaches the cap (1.5 × £2,000)
    assert [tick.label for tick in chart.y_ticks][:2] == ["£0", "£1,000"]

    assert len(chart.bars) == len(projection.rows) == len(chart.points)
    for bar, row in zip(chart.bars, projection.rows, strict=True):
        assert bar.paid_height == pytest.approx(plot_height * float(row.paid.amount) / top_value, abs=0.1)
        assert bar.repaid_height == pytest.approx(
            plot_height * float(row.redeemed.amount) / top_value, abs=0.1
        )
    cumulative_heights = [chart.bottom - y for _, y in chart.points]
    assert cumulative_heights == sorted(cumulative_heights)  # the running total never falls
    assert chart.cap_y == pytest.approx(chart.bottom - plot_height * 3000 / top_value, abs=0.1)
    assert chart.line_points.split(" ")[0] == f"{chart.points[0][0]},{chart.points[0][1]}"


def test_the_page_draws_the_chart_in_svg_beside_a_table(client, offer_page):
    html = client.get(offer_page.url, {"amount": "2000", "scenario": "high"}).content.decode()
    svg = re.search(r'<svg class="chart__svg".*?</svg>', html, re.S).group(0)
    rows = table_rows(html)
    assert svg.count('class="chart__point"') == len(rows) == 12
    assert 'class="chart__cap"' in svg and "Cap £3,000.00" in unescape(svg)
    assert "Financial year ending" in svg and "Amount (£)" in unescape(svg)
    assert 'role="img" aria-labelledby="chart-title chart-desc"' in svg
    assert "<caption" in html and 'scope="col"' in html
    assert "http" not in svg  # nothing fetched from anywhere


def test_no_script_or_font_is_fetched_from_another_site(client, offer_page):
    html = client.get(offer_page.url).content.decode()
    assert not re.search(r'<(script|link)[^>]+(src|href)="(https?:)?//', html)
