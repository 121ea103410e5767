"""Investors' statements of returns and yearly summaries: the figures (worked out by hand below),
the PDFs' text, the UK tax year's boundaries, the logo, and the commands."""

import datetime
import io
from decimal import Decimal
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from django.core.files.images import ImageFile
from django.core.management import CommandError, call_command
from PIL import Image as PillowImage
from pypdf import PdfReader
from wagtail.images.models import Image

from capital.returns import Terms
from investors.documents.pdfs import (
    annual_summary_context,
    annual_summary_pdf,
    statement_context,
    statement_pdf,
)
from investors.errors import DocumentError
from investors.models import DistributionRun, InterestElection
from investors.runs.exports import hmrc_interest_return_csv
from investors.runs.services import approve_run, mark_run_paid, start_run
from investors.runs.statements import (
    Limit,
    annual_summary,
    payment_day,
    statement_figures,
    statement_holders,
    summary_holders,
    tax_year_interest,
)
from investors.runs.tax_year import tax_year_of
from shares.models import Certificate
from tests import factories
from tests.builders import give_payout_accounts, issue, pdf_text, with_schedule
from tests.factories import gbp

D = Decimal
LONDON = ZoneInfo("Europe/London")


# --- Helpers ---------------------------------------------------------------------------------------


def person(name):
    return factories.HolderFactory(name=name, email=f"{name.split()[0].lower()}@example.org")


def run_year(share_class, year, *, by, approve_on, paid_on=None, **declared):
    run = approve_run(
        run=start_run(share_class=share_class, year=year, **declared), by=by, on_date=approve_on
    )
    if paid_on:
        give_payout_accounts(run)
        run = mark_run_paid(run=run, by=by, paid_on=paid_on)
    return run


def images_in(data: bytes) -> int:
    return sum(len(page.images) for page in PdfReader(io.BytesIO(data)).pages)


def in_order(text: str, *phrases: str) -> bool:
    position = 0
    for phrase in phrases:
        position = text.find(phrase, position)
        if position < 0:
            return False
        position += len(phrase)
    return True


@pytest.fixture
def worked(society, community_class, investor_class, director):
    """Two classes of one society, run for two years each (financial years end 31 December).

    Community shares pay interest, at most 5%: Xavier £1,000 and Yasmin £1,250 take it as
    shares, Zoe £1,000 in money, all from 1 January 2021.
      Year 1 (2021), 3% declared: Xavier 30.00 (30 shares), Yasmin 37.50 (37 shares + 0.50),
        Zoe 30.00. Approved 1 March 2022 (the new shares are issued that day), paid 5 April 2022:
        the last day of the tax year 2021–22.
      Year 2 (2022), the 5% maximum: Yasmin has 1,250 all year and 37 from 1 March (306 days):
        1,250 × 5% + 37 × 5% × 306/365 = 62.50 + 1.55 = 64.05 (64 shares + 0.05); her days held,
        averaged by capital, are (1,250 × 365 + 37 × 306) / 1,287 = 363.3 → 363.
        Approved 1 March 2023, paid 6 April 2023: the first day of the tax year 2023–24.

    Investor shares share 50% of the surplus above £1,000, capped at 1.5 × capital, over a
    ten-year term: Alice £2,000 from 1 January 2021, Yasmin £6,000 from 1 January 2022.
      Year 1 (2021), surplus £5,000: pool 50% × 4,000 = 2,000, all Alice's (Yasmin's shares came
        after the year end). Approved 1 March 2022, paid 5 April 2022.
      Year 2 (2022), surplus £11,000: pool 5,000, split 2,000 : 6,000 = 1,250 : 3,750. Alice's cap is
        3,000 and she has had 2,000, so she is paid 1,000, reaches the cap (her shares are
        cancelled on approval, 1 March 2023) and 250 stays with the society; Yasmin 3,750 of
        her 9,000 cap. Paid 6 April 2023.
    """
    xavier, yasmin, zoe, alice = (
        person(n) for n in ("Xavier Holt", "Yasmin Reed", "Zoe Marsh", "Alice Moss")
    )
    interest = with_schedule(
        share_class=community_class,
        first_year_end=datetime.date(2021, 12, 31),
        pool_percent=None,
        rate_ceiling_percent=D("5"),
    )
    for holder, capital in ((xavier, "1000"), (yasmin, "1250"), (zoe, "1000")):
        issue(holder=holder, share_class=interest, shares=int(D(capital)), on=datetime.date(2021, 1, 1))
    for holder in (xavier, yasmin):
        InterestElection.objects.create(holder=holder, share_class=interest, take_as="shares")
    profit = with_schedule(
        share_class=investor_class,
        first_year_end=datetime.date(2021, 12, 31),
        pool_percent=D("50"),
        hurdle=gbp(1000),
        cap_multiple=D("1.5"),
        term_years=10,
    )
    issue(holder=alice, share_class=profit, shares=2000, on=datetime.date(2021, 1, 1))
    issue(holder=yasmin, share_class=profit, shares=6000, on=datetime.date(2022, 1, 1))

    days = SimpleNamespace(
        approved_1=datetime.date(2022, 3, 1),
        paid_1=datetime.date(2022, 4, 5),
        approved_2=datetime.date(2023, 3, 1),
        paid_2=datetime.date(2023, 4, 6),
    )
    interest_1 = run_year(
        interest,
        1,
        by=director,
        approve_on=days.approved_1,
        paid_on=days.paid_1,
        declared_rate_percent=D("3"),
    )
    profit_1 = run_year(
        profit, 1, by=director, approve_on=days.approved_1, paid_on=days.paid_1, surplus=D("5000")
    )
    interest_2 = run_year(interest, 2, by=director, approve_on=days.approved_2, paid_on=days.paid_2)
    profit_2 = run_year(
        profit, 2, by=director, approve_on=days.approved_2, paid_on=days.paid_2, surplus=D("11000")
    )
    return SimpleNamespace(
        society=society,
        interest=interest,
        profit=profit,
        xavier=xavier,
        yasmin=yasmin,
        zoe=zoe,
        alice=alice,
        interest_1=interest_1,
        interest_2=interest_2,
        profit_1=profit_1,
        profit_2=profit_2,
        director=director,
    )


# --- Tax years -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "day, starting",
    [
        (datetime.date(2023, 4, 5), 2022),
        (datetime.date(2023, 4, 6), 2023),
        (datetime.date(2024, 1, 1), 2023),
        (datetime.date(2024, 12, 31), 2024),
    ],
)
def test_a_uk_tax_year_runs_from_6_april_to_5_april(day, starting):
    assert tax_year_of(day) == starting


def test_the_run_keeps_the_terms_it_was_worked_out_on(worked):
    for run in (worked.interest_1, worked.profit_2):
        terms = Terms.from_record(run.terms)
        assert isinstance(terms, Terms) and terms.to_record() == run.terms
    assert Terms.from_record(worked.profit_2.terms).cap_multiple == D("1.50")


# --- Statements ------------------------------------------------------------------------------------


def test_a_capped_holder_is_told_the_cap_limited_their_payment(worked):
    figures = statement_figures(worked.profit_2, worked.alice)
    assert (figures.capital, figures.days_held, figures.days_in_year) == (D("2000.00"), 365, 365)
    assert (figures.surplus, figures.pool, figures.paid, figures.pool_share_percent) == (
        D("11000.00"),
        D("5000.00"),
        D("1000.00"),
        D("20.00"),
    )
    assert (figures.cap, figures.cumulative, figures.left_to_cap) == (D("3000.00"), D("3000.00"), D("0.00"))
    assert (figures.limited_by, figures.status) == (Limit.CAP, "capped")
    assert (figures.cash, figures.reinvested_shares, figures.redeemed) == (D("1000.00"), 0, D("0.00"))
    assert (figures.years_left, figures.term_ends_on) == (8, datetime.date(2030, 12, 31))
    assert (figures.payment_day, figures.tax_year, figures.tax_year_interest) == (
        datetime.date(2023, 4, 6),
        2023,
        D("1000.00"),
    )

    text = pdf_text(statement_pdf(worked.profit_2, worked.alice))
    for expected in (
        worked.society.name,
        "Statement of returns",
        "Investor shares · Financial year 2",
        "1 January 2022 to 31 December 2022",
        "Alice Moss",
        "Your capital at the year end (31 December 2022) £2,000.00",
        "Days you held it in the year 365 of 365",
        "Surplus declared for the year £11,000.00",
        "Pool for investors 50% of the surplus above £1,000.00 £5,000.00",
        "Your share of the pool 20% of the pool £1,000.00",
        "Your payment was limited by the cap.",
        "at most £3,000.00 in all (1.5 times its capital)",
        "Received in all so far payments and capital repaid, all years £3,000.00",
        "Your cap 1.5 × your capital of £2,000.00 £3,000.00",
        "Still to receive before the cap £0.00",
        "Years of the term left the term ends 31 Dec 2030 (year 10) 8",
        "paid on 6 April 2023 6 Apr 2023 to 5 Apr 2024",
        f"Your share interest from {worked.society.name} in the tax year 2023–24 £1,000.00",
        "The society pays interest gross: no tax is deducted.",
        "£15.00 or more of share interest",
        # The terms in plain words, from the terms the run kept.
        "A share of profit: 50% of each year's surplus above the first £1,000.00",
        "Returns stop once a holding has received 1.5 times its capital",
    ):
        assert expected in text, expected


def test_a_holder_with_room_left_sees_how_far_they_are_from_the_cap(worked):
    figures = statement_figures(worked.profit_2, worked.yasmin)
    assert (figures.paid, figures.pool_share_percent, figures.limited_by) == (
        D("3750.00"),
        D("75.00"),
        Limit.NONE,
    )
    assert (figures.cap, figures.cumulative, figures.left_to_cap) == (
        D("9000.00"),
        D("3750.00"),
        D("5250.00"),
    )
    # Both of Yasmin's classes paid her on 6 April 2023: 3,750.00 + 64.05.
    assert figures.tax_year_interest == D("3814.05")
    text = pdf_text(statement_pdf(worked.profit_2, worked.yasmin))
    assert "Your share of the pool 75% of the pool £3,750.00" in text
    assert "Still to receive before the cap £5,250.00" in text
    assert "in the tax year 2023–24 £3,814.05" in text
    assert "limited by" not in text


def test_interest_taken_as_shares_shows_the_shares_at_nominal_value_and_the_money_left(worked):
    figures = statement_figures(worked.interest_1, worked.yasmin)
    assert (figures.capital, figures.rate_percent, figures.rate_ceiling_percent) == (
        D("1250.00"),
        D("3"),
        D("5"),
    )
    assert (figures.pool, figures.paid, figures.cash) == (D("97.50"), D("37.50"), D("0.50"))
    assert (figures.reinvested_shares, figures.nominal_value, figures.reinvested_value) == (
        37,
        D("1.00"),
        D("37"),
    )
    assert figures.cash + figures.reinvested_value == figures.paid
    assert (figures.cap, figures.years_left, figures.limited_by) == (None, None, Limit.DECLARED_RATE)
    # Paid on 5 April 2022: the last day of the tax year 2021–22.
    assert (figures.tax_year, figures.tax_year_interest) == (2021, D("37.50"))

    text = pdf_text(statement_pdf(worked.interest_1, worked.yasmin))
    for expected in (
        "Community shares · Financial year 1",
        "Your capital at the year end (31 December 2021) £1,250.00",
        "Interest rate declared for the year the most declared in advance is 5% 3%",
        "Interest the society pays all holders for the year £97.50",
        "Your interest 3% a year on your capital, for the days held £37.50",
        "The board declared 3% for this year, below the maximum of 5% declared in advance.",
        "In money £0.50",
        "As new shares 37 shares × £1.00, issued when the run was approved £37.00",
        "Your return for the year £37.50",
        "Capital repaid £0.00",
        "Years of the term left no fixed term",
        "paid on 5 April 2022 6 Apr 2021 to 5 Apr 2022",
        "in the tax year 2021–22 £37.50",
        "Interest of up to 5% a year on your capital.",
    ):
        assert expected in text, expected


def test_interest_on_reinvested_shares_counts_their_days_from_their_issue(worked):
    figures = statement_figures(worked.interest_2, worked.yasmin)
    assert (figures.capital, figures.days_held, figures.rate_percent) == (D("1287.00"), 363, D("5.00"))
    assert (figures.paid, figures.cash, figures.reinvested_shares, figures.cumulative) == (
        D("64.05"),
        D("0.05"),
        64,
        D("101.55"),
    )
    assert figures.limited_by == Limit.NONE
    text = pdf_text(statement_pdf(worked.interest_2, worked.yasmin))
    assert "Days you held it in the year counted from the day your shares were issued 363 of 365" in text
    assert "As new shares 64 shares × £1.00, issued when the run was approved £64.00" in text
    assert "Received in all so far payments and capital repaid, all years £101.55" in text


def test_a_payment_held_to_the_rate_ceiling_says_so(society, investor_class, director):
    """25% of a £20,000 surplus is a pool of 5,000; no holding may be paid more than 7% of its
    capital: Ann £1,000 gets 70.00 and Ben £9,000 gets 630.00; 4,300 stays with the society."""
    with_schedule(
        share_class=investor_class,
        first_year_end=datetime.date(2021, 12, 31),
        pool_percent=D("25"),
        rate_ceiling_percent=D("7"),
    )
    ann, ben = person("Ann Shaw"), person("Ben Cole")
    issue(holder=ann, share_class=investor_class, shares=1000, on=datetime.date(2021, 1, 1))
    issue(holder=ben, share_class=investor_class, shares=9000, on=datetime.date(2021, 1, 1))
    run = run_year(investor_class, 1, by=director, approve_on=datetime.date(2022, 2, 1), surplus=D("20000"))
    assert (run.pool.amount, run.retained.amount) == (D("5000.00"), D("4300.00"))

    figures = statement_figures(run, ann)
    assert (figures.paid, figures.ceiling_amount, figures.limited_by) == (
        D("70.00"),
        D("70.00"),
        Limit.CEILING,
    )
    text = pdf_text(statement_pdf(run, ann))
    assert (
        "Most the rate ceiling allows you this year 7% interest on your capital for the days held £70.00"
        in text
    )
    assert "Your payment was limited by the rate ceiling." in text
    assert "What the ceiling held back stays with the society." in text
    # Not yet paid: the approval day stands in for the payment day, and the statement says so.
    assert figures.payment_day == payment_day(run) == run.approved_on
    assert "approved on" in text and "not yet paid" in text


def test_capital_repaid_at_the_end_of_the_term_is_shown_apart_from_the_return(
    society, investor_class, director
):
    """A one-year term, redeemed at its end: 25% of £2,000 = 500.00 paid, and the £1,000 repaid."""
    with_schedule(
        share_class=investor_class,
        first_year_end=datetime.date(2021, 12, 31),
        pool_percent=D("25"),
        term_years=1,
        redeem_at_term_end=True,
    )
    ann = person("Ann Shaw")
    issue(holder=ann, share_class=investor_class, shares=1000, on=datetime.date(2021, 1, 1))
    run = run_year(investor_class, 1, by=director, approve_on=datetime.date(2022, 2, 1), surplus=D("2000"))
    figures = statement_figures(run, ann)
    assert (figures.paid, figures.redeemed, figures.bank_amount, figures.cumulative) == (
        D("500.00"),
        D("1000.00"),
        D("1500.00"),
        D("1500.00"),
    )
    assert (figures.status, figures.years_left) == ("redeemed", 0)
    text = pdf_text(statement_pdf(run, ann))
    assert "Capital repaid at par, at the term's end £1,000.00" in text
    assert "TO YOUR BANK ACCOUNT £1,500.00" in text
    assert "Your capital was repaid." in text
    assert (
        "Share interest in this statement in money and as shares; capital repaid is not interest £500.00"
        in text
    )


def test_statements_are_refused_for_a_draft_and_for_someone_the_run_has_nothing_for(worked):
    draft = start_run(share_class=worked.profit, year=3, surplus=D("5000"))
    with pytest.raises(DocumentError, match="is a draft"):
        statement_pdf(draft, worked.yasmin)
    approved = approve_run(run=draft, by=worked.director, on_date=datetime.date(2024, 3, 1))
    # Alice's holding reached its cap in year 2: her line in year 3 only carries that forward.
    assert list(statement_holders(approved)) == [worked.yasmin]
    with pytest.raises(DocumentError, match="ended before year 3"):
        statement_pdf(approved, worked.alice)
    with pytest.raises(DocumentError, match="Zoe Marsh has no line in run"):
        statement_pdf(approved, worked.zoe)
    assert list(statement_holders(worked.profit_2)) == [worked.alice, worked.yasmin]


def test_the_context_carries_the_same_figures_the_pdf_prints(worked):
    context = statement_context(worked.profit_2, worked.alice)
    assert context["figures"] == statement_figures(worked.profit_2, worked.alice)
    assert context["money"]["paid"] == "£1,000.00" and context["money"]["cap"] == "£3,000.00"
    assert context["terms_in_words"][0].startswith("A share of profit: 50%")
    assert context["tax_year_label"] == "2023–24"


# --- Yearly summaries ------------------------------------------------------------------------------


def test_the_yearly_summary_adds_up_every_class_paid_in_the_tax_year(worked):
    summary = annual_summary(worked.society, worked.yasmin, 2023)
    assert [
        (p.run.share_class.name, p.run.year, p.cash, p.reinvested_value, p.interest) for p in summary.payments
    ] == [
        ("Community shares", 2, D("0.05"), D("64"), D("64.05")),
        ("Investor shares", 2, D("3750.00"), D("0"), D("3750.00")),
    ]
    assert (summary.total_cash, summary.total_reinvested, summary.total_redeemed, summary.total_interest) == (
        D("3750.05"),
        D("64"),
        D("0.00"),
        D("3814.05"),
    )
    assert summary.total_interest == tax_year_interest(worked.society, worked.yasmin, 2023)
    # 1,250 + 37 (1 March 2022) + 64 (1 March 2023) community shares; 6,000 investor shares.
    assert [(h.share_class.name, h.shares, h.capital) for h in summary.holdings] == [
        ("Community shares", 1351, D("1351.00")),
        ("Investor shares", 6000, D("6000.00")),
    ]
    valid = Certificate.objects.filter(holder=worked.yasmin, state="valid")
    assert sorted(n for h in summary.holdings for n in h.certificates) == sorted(
        valid.values_list("number", flat=True)
    )

    text = pdf_text(annual_summary_pdf(worked.society, worked.yasmin, 2023))
    for expected in (
        "Yearly summary",
        "Tax year 2023–24",
        "6 April 2023 to 5 April 2024",
        "Yasmin Reed",
        "SHARE INTEREST IN THE TAX YEAR £3,814.05",  # a label in capitals
        "Community shares 1351 £1,351.00",
        "Investor shares 6000 £6,000.00",
        "Community shares Year 2, to 31 Dec 2022 6 Apr 2023 £0.05 £64.00 64 shares £0.00 £64.05",
        "Investor shares Year 2, to 31 Dec 2022 6 Apr 2023 £3,750.00 £0.00 £0.00 £3,750.00",
        "Totals £3,750.05 £64.00 £0.00 £3,814.05",
        f"Your share interest from {worked.society.name} for the tax year 2023–24 £3,814.05",
        "The society pays interest gross: no tax is deducted.",
    ):
        assert expected in text, expected
    for holding in summary.holdings:
        assert in_order(text, *(f"No. {number}" for number in holding.certificates))


def test_5_april_and_6_april_fall_in_different_tax_years(worked):
    """Year 1 was paid on 5 April 2022 (2021–22), year 2 on 6 April 2023 (2023–24): 2022–23 has
    no payment at all, though Yasmin held shares all through it."""
    assert tax_year_interest(worked.society, worked.yasmin, 2021) == D("37.50")
    assert tax_year_interest(worked.society, worked.yasmin, 2022) == D("0.00")
    assert tax_year_interest(worked.society, worked.alice, 2021) == D("2000.00")
    assert tax_year_interest(worked.society, worked.alice, 2023) == D("1000.00")
    summary = annual_summary(worked.society, worked.yasmin, 2022)
    assert summary.payments == [] and summary.total_interest == D("0.00")
    assert [(h.share_class.name, h.shares) for h in summary.holdings] == [
        ("Community shares", 1351),  # the 64 from 1 March 2023 are in: before 5 April 2023
        ("Investor shares", 6000),
    ]
    earlier = annual_summary(worked.society, worked.yasmin, 2021)
    assert [(h.share_class.name, h.shares) for h in earlier.holdings] == [
        ("Community shares", 1287),
        ("Investor shares", 6000),
    ]
    assert [(p.run.share_class.name, p.payment_day) for p in earlier.payments] == [
        ("Community shares", datetime.date(2022, 4, 5))
    ]
    text = pdf_text(annual_summary_pdf(worked.society, worked.yasmin, 2022))
    assert "No returns were paid to you in this tax year." in text and "£0.00" in text
    # The HMRC return agrees with the summaries on which tax year each payment is in.
    assert "Yasmin Reed" in hmrc_interest_return_csv(worked.society, 2021)
    assert "Yasmin Reed" not in hmrc_interest_return_csv(worked.society, 2022)


def test_an_approved_run_not_yet_paid_counts_on_its_approval_day_in_london(worked):
    """11.30 pm on 5 April 2024 in London is still 2023–24; half past midnight on 6 April (still
    5 April in UTC) is 2024–25. Year 3 at 5%: Yasmin's 1,351 shares, 64 of them from 1 March
    2023: (1,287 × 365 + 64 × 306) × 5% / 365 = 67.03."""
    run = run_year(worked.interest, 3, by=worked.director, approve_on=datetime.date(2024, 3, 1))
    assert statement_figures(run, worked.yasmin).paid == D("67.03")
    DistributionRun.objects.filter(pk=run.pk).update(approved_on=datetime.date(2024, 4, 5))
    assert tax_year_interest(worked.society, worked.yasmin, 2023) == D("3814.05") + D("67.03")
    DistributionRun.objects.filter(pk=run.pk).update(approved_on=datetime.date(2024, 4, 6))
    run.refresh_from_db()
    assert payment_day(run) == datetime.date(2024, 4, 6)
    assert tax_year_interest(worked.society, worked.yasmin, 2023) == D("3814.05")
    assert tax_year_interest(worked.society, worked.yasmin, 2024) == D("67.03")
    assert "(approved)" in pdf_text(annual_summary_pdf(worked.society, worked.yasmin, 2024))


def test_a_holding_that_ended_in_the_year_and_a_payment_after_it_are_both_summarised(worked):
    ended = annual_summary(worked.society, worked.alice, 2022)
    assert [(h.share_class.name, h.shares, h.ceased_on, h.certificates) for h in ended.holdings] == [
        ("Investor shares", 0, datetime.date(2023, 3, 1), [])
    ]
    assert "none: the holding ended on 1 March 2023" in pdf_text(
        annual_summary_pdf(worked.society, worked.alice, 2022)
    )
    # Her last payment came on 6 April 2023, after her shares were cancelled.
    after = annual_summary(worked.society, worked.alice, 2023)
    assert after.holdings == [] and after.total_interest == D("1000.00")
    text = pdf_text(annual_summary_pdf(worked.society, worked.alice, 2023))
    assert "You held no shares" in text and "Totals £1,000.00 £0.00 £0.00 £1,000.00" in text


def test_summary_holders_are_everyone_with_shares_or_a_payment_in_the_tax_year(worked):
    names = lambda starting: [h.name for h in summary_holders(worked.society, starting)]  # noqa: E731
    assert names(2020) == ["Alice Moss", "Xavier Holt", "Yasmin Reed", "Zoe Marsh"]  # shares from 1 Jan 2021
    assert names(2023) == ["Alice Moss", "Xavier Holt", "Yasmin Reed", "Zoe Marsh"]  # Alice: a payment
    assert names(2024) == ["Xavier Holt", "Yasmin Reed", "Zoe Marsh"]
    assert names(2019) == []


def test_the_summary_context_prints_the_totals_it_was_given(worked):
    context = annual_summary_context(worked.society, worked.yasmin, 2023)
    assert context["totals"] == {
        "cash": "£3,750.05",
        "reinvested": "£64.00",
        "redeemed": "£0.00",
        "interest": "£3,814.05",
    }


# --- The logo --------------------------------------------------------------------------------------


def make_logo(kind="PNG", size=(600, 200)) -> Image:
    picture = PillowImage.new("RGB", size, (47, 93, 58))
    buffer = io.BytesIO()
    picture.save(buffer, format=kind)
    extension = {"PNG": "png", "JPEG": "jpg", "GIF": "gif"}[kind]
    return Image.objects.create(title="Logo", file=ImageFile(buffer, name=f"logo.{extension}"))


def test_the_logo_heads_the_statement_and_the_summary(worked):
    without = statement_pdf(worked.profit_2, worked.alice)
    worked.society.logo = make_logo("JPEG")
    worked.society.save()
    run = DistributionRun.objects.select_related("share_class__society").get(pk=worked.profit_2.pk)
    assert images_in(statement_pdf(run, worked.alice)) == images_in(without) + 1
    assert images_in(annual_summary_pdf(run.share_class.society, worked.alice, 2023)) == 1


def test_a_broken_or_missing_logo_is_left_out_and_the_statement_still_renders(worked):
    logo = make_logo()
    worked.society.logo = logo
    worked.society.save()
    with open(logo.file.path, "wb") as broken:
        broken.write(b"\x89PNG\r\n\x1a\n not really an image")
    run = DistributionRun.objects.select_related("share_class__society").get(pk=worked.profit_2.pk)
    data = statement_pdf(run, worked.alice)
    assert images_in(data) == 0 and "Alice Moss" in pdf_text(data)
    logo.file.storage.delete(logo.file.name)
    data = statement_pdf(run, worked.alice)
    assert images_in(data) == 0 and "Alice Moss" in pdf_text(data)


# --- The commands ----------------------------------------------------------------------------------


def test_statement_pdf_writes_the_investors_statement(worked, tmp_path):
    out = tmp_path / "statement.pdf"
    stdout = io.StringIO()
    call_command(
        "statement_pdf",
        worked.society.slug,
        str(worked.profit_2.pk),
        "ALICE@example.org",
        str(out),
        stdout=stdout,
    )
    assert "Your payment was limited by the cap." in pdf_text(out.read_bytes())
    assert "Alice Moss's statement" in stdout.getvalue()


def test_statement_pdf_refuses_what_it_cannot_print(worked, tmp_path):
    out = str(tmp_path / "statement.pdf")
    slug, run_id = worked.society.slug, str(worked.profit_2.pk)
    other = factories.SocietyFactory()
    draft = start_run(share_class=worked.profit, year=3, surplus=D("5000"))
    for arguments, message in (
        (["no-such-society", run_id, "alice@example.org"], "No society has the slug"),
        ([slug, "999999", "alice@example.org"], "There is no distribution run 999999"),
        (
            [other.slug, run_id, "alice@example.org"],
            f"is a run of {worked.society.name}, not of {other.name}",
        ),
        ([slug, str(draft.pk), "nobody@example.org"], "is a draft"),
        ([slug, run_id, "nobody@example.org"], "No investor has the email"),
        ([slug, run_id, "zoe@example.org"], "Zoe Marsh has no line in run"),
    ):
        with pytest.raises(CommandError, match=message):
            call_command("statement_pdf", *arguments, out)
    assert not (tmp_path / "statement.pdf").exists()


def test_summary_pdf_writes_the_yearly_summary_and_refuses_bad_input(worked, tmp_path):
    out = tmp_path / "summary.pdf"
    call_command(
        "summary_pdf", worked.society.slug, "2023", "yasmin@example.org", str(out), stdout=io.StringIO()
    )
    assert "Totals £3,750.05 £64.00 £0.00 £3,814.05" in pdf_text(out.read_bytes())
    stranger = person("Sam Stranger")
    for arguments, message in (
        (["no-such-society", "2023", "yasmin@example.org"], "No society has the slug"),
        ([worked.society.slug, "2023", "nobody@example.org"], "No investor has the email"),
        ([worked.society.slug, "2023", stranger.email], "held no shares in"),
        ([worked.society.slug, "2999", "yasmin@example.org"], "has not started yet"),
        ([worked.society.slug, "23", "yasmin@example.org"], "e.g. 2025"),
    ):
        with pytest.raises(CommandError, match=message):
            call_command("summary_pdf", *arguments, str(tmp_path / "refused.pdf"))
    assert not (tmp_path / "refused.pdf").exists()


def test_a_household_sharing_an_email_gets_the_statement_of_the_one_in_the_run(worked, tmp_path):
    partner = factories.HolderFactory(name="Alex Moss", email="alice@example.org")
    issue(holder=partner, share_class=worked.interest, shares=100, on=datetime.date(2024, 1, 1))
    out = tmp_path / "statement.pdf"
    call_command(
        "statement_pdf",
        worked.society.slug,
        str(worked.profit_2.pk),
        "alice@example.org",
        str(out),
        stdout=io.StringIO(),
    )
    assert "Alice Moss" in pdf_text(out.read_bytes())
    with pytest.raises(CommandError, match="2 investors share the email"):
        call_command("summary_pdf", worked.society.slug, "2023", "alice@example.org", str(out))
