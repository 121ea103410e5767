"""Distribution runs on the real register: computed from the ledger, approved by a director,
written back to the register, paid, and reported to the bank and to HMRC."""

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import IntegrityError, transaction
from django.utils import timezone

from capital.errors import CapitalError
from capital.models import AuditEntry, ReturnSchedule, SocietyRole
from investors.errors import RunError
from investors.models import DistributionLine, DistributionRun, InterestElection, PayoutAccount
from investors.runs.exports import hmrc_interest_return_csv, payment_file_csv
from investors.runs.services import approve_run, mark_run_paid, start_run
from shares.models import Holder, Holding, LedgerEntry
from shares.services.register import issue_shares, remove_shares, transfer_shares
from shares.services.verification import verify_register
from tests import factories
from tests.builders import board_seat, give_payout_accounts, seed_register, with_schedule
from tests.factories import gbp

D = Decimal
Kind = LedgerEntry.Kind
WORKED_YEAR_END = datetime.date(2019, 12, 31)
WORKED_SURPLUSES = ["8000", "20000", "40000", "-5000", "80000", "90000"]


# --- Helpers ---------------------------------------------------------------------------------------


def lines(run) -> dict[str, tuple]:
    """name → (paid, redeemed, cumulative, status) as strings, for comparing with the issue."""
    return {
        line.holder.name: (str(line.paid), str(line.redeemed), str(line.cumulative), line.status)
        for line in run.lines.select_related("holder")
    }


def paid(run) -> dict[str, str]:
    return {name: values[0] for name, values in lines(run).items()}


def rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


@pytest.fixture
def treasurer(society):
    return board_seat(society=society, role=SocietyRole.Role.TREASURER)


@pytest.fixture
def worked(society, investor_class):
    """The issue's worked example: A £10,000, B £7,000, C £3,333 from the first day of year 1."""
    with_schedule(
        share_class=investor_class, first_year_end=WORKED_YEAR_END, grace_years=1, cap_multiple=D("1.5")
    )
    return investor_class, seed_register(
        share_class=investor_class, holdings=[("A", 10000), ("B", 7000), ("C", 3333)]
    )


def run_years(share_class, surpluses, *, by, first=1):
    runs = []
    for year, surplus in enumerate(surpluses, start=first):
        run = start_run(share_class=share_class, year=year, surplus=D(surplus), by=by)
        runs.append(approve_run(run=run, by=by))
    return runs


@pytest.fixture
def interest_class(society, community_class):
    """Community shares paying up to 5% interest, financial years ending 31 December from 2021."""
    return with_schedule(
        share_class=community_class,
        first_year_end=datetime.date(2021, 12, 31),
        pool_percent=None,
        rate_ceiling_percent=D("5"),
    )


# --- The worked example ----------------------------------------------------------------------------


def test_worked_example_runs_on_the_register_and_cancels_the_holdings_at_exactly_the_cap(
    society, worked, director
):
    share_class, (a, b, c) = worked
    year1, year2, year3, year4, year5, year6 = run_years(share_class, WORKED_SURPLUSES, by=director)

    assert (year1.pool.amount, year1.paid.amount) == (D("0.00"), D("0.00"))
    assert paid(year2) == {"A": "2459.06", "B": "1721.34", "C": "819.60"} and year2.pool.amount == D("5000")
    assert paid(year3) == {"A": "4918.11", "B": "3442.68", "C": "1639.21"} and year3.pool.amount == D("10000")
    assert (year4.pool.amount, year4.paid.amount) == (D("0.00"), D("0.00"))
    assert lines(year5) == {
        "A": ("7622.83", "0.00", "15000.00", "capped"),
        "B": ("5335.98", "0.00", "10500.00", "capped"),
        "C": ("2540.69", "0.00", "4999.50", "capped"),
    }
    assert (year5.pool.amount, year5.paid.amount, year5.retained.amount) == (
        D("20000.00"),
        D("15499.50"),
        D("4500.50"),
    )
    assert (year6.pool.amount, year6.paid.amount, year6.retained.amount) == (D("22500"), D("0"), D("22500"))
    assert lines(year6) == {
        "A": ("0.00", "0.00", "15000.00", "capped"),
        "B": ("0.00", "0.00", "10500.00", "capped"),
        "C": ("0.00", "0.00", "4999.50", "capped"),
    }

    # Everything each holder was paid is exactly 1.5 × capital, and the register cancelled them.
    for holder, capital in ((a, D("10000")), (b, D("7000")), (c, D("3333"))):
        total = sum(line.paid for line in DistributionLine.objects.filter(holder=holder))
        assert total == capital * D("1.5")
        holding = Holding.objects.get(holder=holder)
        assert (holding.shares, holding.amount_paid.amount, holding.ceased_on) == (
            0,
            D("0"),
            timezone.localdate(),
        )
    cancellations = LedgerEntry.objects.filter(society=society, kind=Kind.CANCELLATION).order_by("sequence")
    assert [(entry.holder.name, entry.shares, entry.amount.amount) for entry in cancellations] == [
        ("A", 10000, D("10000.00")),
        ("B", 7000, D("7000.00")),
        ("C", 3333, D("3333.00")),
    ]
    assert all("reached its cap" in entry.reference for entry in cancellations)
    assert verify_register(society).ok
    assert not LedgerEntry.objects.filter(society=society, kind=Kind.CANCELLATION).exclude(
        reference__contains=f"year 5 (run {year5.pk})"
    )


def test_each_line_records_the_capital_and_days_held_and_the_run_keeps_its_terms(worked, director):
    share_class, _ = worked
    run = start_run(share_class=share_class, year=1, surplus=D("8000"), by=director)
    assert {(line.capital, line.days_held) for line in run.lines.all()} == {
        (D("10000.00"), 365),
        (D("7000.00"), 365),
        (D("3333.00"), 365),
    }
    assert run.terms["cap_multiple"] == "1.50" and run.terms["grace_years"] == 1
    assert (run.starts_on, run.ends_on, run.state) == (
        datetime.date(2019, 1, 1),
        WORKED_YEAR_END,
        DistributionRun.State.DRAFT,
    )


# --- Capital from the ledger -----------------------------------------------------------------------


def test_capital_days_weighting_gives_a_holder_issued_mid_year_its_share_of_days(society, investor_class):
    with_schedule(
        share_class=investor_class, first_year_end=datetime.date(2021, 12, 31), weighting="capital_days"
    )
    seed_register(share_class=investor_class, holdings=[("early", 1000)], on=datetime.date(2020, 6, 1))
    seed_register(
        share_class=investor_class, holdings=[("late", 1000)], on=datetime.date(2021, 7, 2)
    )  # 183 of 365 days
    run = start_run(share_class=investor_class, year=1, surplus=D("4000"))

    # Pool 1,000.00 split 365 : 183; the leftover penny goes to the larger remainder (early).
    assert paid(run) == {"early": "666.06", "late": "333.94"}
    assert {line.holder.name: line.days_held for line in run.lines.select_related("holder")} == {
        "early": 365,
        "late": 183,
    }
    assert run.paid.amount == run.pool.amount == D("1000.00")


def test_capital_is_the_ledger_at_the_year_end_with_transfers_and_later_movements(society, investor_class):
    with_schedule(share_class=investor_class, first_year_end=datetime.date(2021, 12, 31))
    (p,) = seed_register(share_class=investor_class, holdings=[("P", 1000)], on=datetime.date(2021, 1, 1))
    q = factories.HolderFactory(name="Q")
    transfer_shares(
        society=society,
        holder=p,
        to=q,
        share_class=investor_class,
        shares=400,
        effective_date=datetime.date(2021, 6, 30),
    )
    # After the year end: does not change year 1's capital.
    remove_shares(
        society=society,
        kind=Kind.REDEMPTION,
        holder=p,
        share_class=investor_class,
        shares=100,
        effective_date=datetime.date(2022, 2, 1),
    )
    late = seed_register(share_class=investor_class, holdings=[("late", 500)], on=datetime.date(2022, 1, 10))[
        0
    ]

    run = start_run(share_class=investor_class, year=1, surplus=D("4000"))
    assert {line.holder.name: (line.capital, line.paid) for line in run.lines.select_related("holder")} == {
        "P": (D("600.00"), D("600.00")),
        "Q": (D("400.00"), D("400.00")),
    }
    assert not run.lines.filter(holder=late).exists()


# --- Refusals --------------------------------------------------------------------------------------


def test_a_year_with_an_approved_run_is_refused_by_the_service_and_the_database(worked, director):
    share_class, _ = worked
    approved = approve_run(run=start_run(share_class=share_class, year=1, surplus=D("8000")), by=director)
    with pytest.raises(RunError, match="already has an approved run"):
        start_run(share_class=share_class, year=1, surplus=D("9000"), by=director)

    with pytest.raises(IntegrityError), transaction.atomic():
        DistributionRun.objects.create(
            share_class=share_class,
            year=1,
            starts_on=approved.starts_on,
            ends_on=approved.ends_on,
            surplus=gbp(1),
            terms={},
            ledger_sequence=0,
            pool=gbp(0),
            paid=gbp(0),
            retained=gbp(0),
            redeemed=gbp(0),
            state=DistributionRun.State.APPROVED,
            approved_at=timezone.now(),
            approved_on=timezone.localdate(),
        )
    assert DistributionRun.objects.filter(share_class=share_class, year=1).count() == 1


def test_an_approved_run_cannot_be_approved_twice(worked, director):
    share_class, _ = worked
    run = approve_run(run=start_run(share_class=share_class, year=1, surplus=D("8000")), by=director)
    with pytest.raises(RunError, match="is approved by the board; it cannot become approved"):
        approve_run(run=run, by=director)


def test_starting_a_year_again_replaces_its_draft(worked, director):
    share_class, _ = worked
    run_years(share_class, ["8000"], by=director)
    first = start_run(share_class=share_class, year=2, surplus=D("12000"), by=director)
    second = start_run(share_class=share_class, year=2, surplus=D("20000"), by=director)

    assert list(DistributionRun.objects.filter(year=2).values_list("pk", flat=True)) == [second.pk]
    assert not DistributionLine.objects.filter(run_id=first.pk).exists()
    assert paid(second) == {"A": "2459.06", "B": "1721.34", "C": "819.60"}
    with pytest.raises(RunError, match="was replaced"):
        approve_run(run=first, by=director)
    assert "replacing draft" in AuditEntry.objects.filter(action="run.started").first().summary


def test_a_year_that_has_not_ended_cannot_be_run(worked):
    share_class, _ = worked
    this_year = timezone.localdate().year
    with pytest.raises(RunError, match=f"ends on 31 December {this_year}; its run can be started from"):
        start_run(share_class=share_class, year=this_year - 2018, surplus=D("1"))
    assert not DistributionRun.objects.exists()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"year": 2, "surplus": D("1")}, "Year 1 of Investor shares has no approved run yet"),
        ({"year": 0, "surplus": D("1")}, "there is no year 0"),
        ({"year": 9000, "surplus": D("1")}, "too far ahead"),
        ({"year": 1, "surplus": D("1"), "declared_rate_percent": D("2")}, "not a declared rate"),
        ({"year": 1}, "Declare the year's surplus"),
        ({"year": 1, "surplus": D("10.001")}, "whole pennies"),
    ],
)
def test_runs_the_rules_do_not_allow_are_refused(worked, kwargs, message):
    share_class, _ = worked
    with pytest.raises(RunError, match=message):
        start_run(share_class=share_class, **kwargs)
    assert not DistributionRun.objects.exists()


def test_a_class_without_a_schedule_cannot_be_run(investor_class):
    with pytest.raises(RunError, match="has no return schedule"):
        start_run(share_class=investor_class, year=1, surplus=D("1000"))


def test_an_interest_class_takes_a_rate_not_a_surplus_and_never_above_its_ceiling(interest_class):
    with pytest.raises(RunError, match="pays interest, not a share of surplus"):
        start_run(share_class=interest_class, year=1, surplus=D("1000"))
    with pytest.raises(RunError, match="maximum declared in advance, 5.00%"):
        start_run(share_class=interest_class, year=1, declared_rate_percent=D("5.01"))
    assert not DistributionRun.objects.exists()


def test_a_preview_the_register_has_moved_under_is_refused_until_started_again(worked, director):
    share_class, _ = worked
    draft = start_run(share_class=share_class, year=1, surplus=D("8000"))
    seed_register(share_class=share_class, holdings=[("D", 500)], on=datetime.date(2019, 7, 1))
    with pytest.raises(RunError, match="changed D's capital in year 1 after this preview"):
        approve_run(run=draft, by=director)
    assert DistributionRun.objects.get(pk=draft.pk).state == DistributionRun.State.DRAFT

    fresh = start_run(share_class=share_class, year=1, surplus=D("8000"))
    assert approve_run(run=fresh, by=director).state == DistributionRun.State.APPROVED


def test_a_schedule_changed_after_the_preview_is_refused(worked, director):
    share_class, _ = worked
    draft = start_run(share_class=share_class, year=1, surplus=D("8000"))
    ReturnSchedule.objects.filter(share_class=share_class).update(cap_multiple=D("2"))
    with pytest.raises(RunError, match="return schedule of Investor shares changed"):
        approve_run(run=draft, by=director)


# --- Who may do what -------------------------------------------------------------------------------


def test_a_treasurer_starts_and_marks_paid_but_only_a_director_of_the_society_approves(
    society, worked, treasurer, director
):
    share_class, _ = worked
    run = start_run(share_class=share_class, year=1, surplus=D("8000"), by=treasurer)
    with pytest.raises(CapitalError, match="Only a director of"):
        approve_run(run=run, by=treasurer)
    outsider = board_seat(society=factories.SocietyFactory())
    with pytest.raises(CapitalError, match="Only a director of"):
        approve_run(run=run, by=outsider)
    with pytest.raises(CapitalError):
        start_run(share_class=share_class, year=1, surplus=D("8000"), by=outsider)
    assert DistributionRun.objects.get(pk=run.pk).state == DistributionRun.State.DRAFT

    approve_run(run=run, by=director)
    paid_run = mark_run_paid(run=run, by=treasurer, paid_on=datetime.date(2020, 3, 1))
    assert (paid_run.state, paid_run.paid_by, paid_run.paid_on) == (
        DistributionRun.State.PAID,
        treasurer,
        datetime.date(2020, 3, 1),
    )
    assert paid_run.approved_by == director
    actions = list(
        AuditEntry.objects.filter(society=society, action__startswith="run.").values_list("action", "actor")
    )
    assert sorted(actions) == sorted(
        [("run.started", treasurer.pk), ("run.approved", director.pk), ("run.paid", treasurer.pk)]
    )
    with pytest.raises(RunError, match="is paid; it cannot become paid"):
        mark_run_paid(run=run, by=treasurer)


def test_a_draft_cannot_be_marked_paid_or_paid_out(worked, treasurer):
    share_class, _ = worked
    run = start_run(share_class=share_class, year=1, surplus=D("8000"))
    with pytest.raises(RunError, match="is draft"):
        mark_run_paid(run=run, by=treasurer)
    with pytest.raises(RunError, match="approve it before making the payment file"):
        payment_file_csv(run)


# --- Interest, reinvested through the register -----------------------------------------------------


def test_interest_at_a_declared_lower_rate_is_reinvested_in_whole_shares_through_the_register(
    society, interest_class, director
):
    x, y, z = seed_register(
        share_class=interest_class,
        holdings=[("X", 1000), ("Y", 1250), ("Z", 1000)],
        on=datetime.date(2021, 1, 1),
    )
    for holder in (x, y):
        InterestElection.objects.create(holder=holder, share_class=interest_class, take_as="shares")

    run = start_run(share_class=interest_class, year=1, declared_rate_percent=D("3"))
    assert run.declared_rate_percent == D("3") and run.surplus is None
    assert {
        line.holder.name: (str(line.paid), str(line.cash), line.reinvested_shares)
        for line in run.lines.select_related("holder")
    } == {"X": ("30.00", "0.00", 30), "Y": ("37.50", "0.50", 37), "Z": ("30.00", "30.00", 0)}
    assert run.pool.amount == run.paid.amount == D("97.50")

    approve_run(run=run, by=director, on_date=datetime.date(2022, 3, 1))
    assert {h.holder.name: (h.shares, h.amount_paid.amount) for h in Holding.objects.all()} == {
        "X": (1030, D("1030.00")),
        "Y": (1287, D("1287.00")),
        "Z": (1000, D("1000.00")),
    }
    issues = LedgerEntry.objects.filter(society=society, effective_date=datetime.date(2022, 3, 1))
    assert sorted((e.kind, e.holder.name, e.shares, e.amount.amount) for e in issues) == [
        ("issue", "X", 30, D("30.00")),
        ("issue", "Y", 37, D("37.00")),
    ]
    assert verify_register(society).ok

    # The next year pays the rate ceiling on the reinvested capital from the day it was issued:
    # X: 1,000 × 5% + 30 × 5% × 306/365 (1 March to 31 December 2022) = 50.00 + 1.26.
    year2 = start_run(share_class=interest_class, year=2)
    assert paid(year2) == {"X": "51.26", "Y": "64.05", "Z": "50.00"}
    assert year2.declared_rate_percent == D("5.00")


def test_term_end_redeems_the_survivors_in_the_register_and_the_bank_pays_the_capital(
    society, investor_class
):
    with_schedule(
        share_class=investor_class, first_year_end=WORKED_YEAR_END, term_years=2, redeem_at_term_end=True
    )
    seed_register(share_class=investor_class, holdings=[("A", 1000), ("B", 3000)])
    director = board_seat(society=society)
    year1, year2 = run_years(investor_class, ["800", "1600"], by=director)
    assert lines(year2) == {
        "A": ("100.00", "1000.00", "1150.00", "redeemed"),
        "B": ("300.00", "3000.00", "3450.00", "redeemed"),
    }
    redemptions = LedgerEntry.objects.filter(society=society, kind=Kind.REDEMPTION).order_by("sequence")
    assert [(e.holder.name, e.shares, e.amount.amount) for e in redemptions] == [
        ("A", 1000, D("1000.00")),
        ("B", 3000, D("3000.00")),
    ]
    assert set(Holding.objects.values_list("shares", flat=True)) == {0}
    assert verify_register(society).ok
    give_payout_accounts(year2)
    assert [row[4] for row in rows(payment_file_csv(year2))[1:]] == ["1100.00", "3300.00"]


# --- Outputs ---------------------------------------------------------------------------------------


def test_the_payment_file_lists_money_to_pay_with_bank_details_where_known(society, interest_class, director):
    x, y, z, w = seed_register(
        share_class=interest_class,
        holdings=[("X", 1000), ("Y", 1250), ("Z", 1000), ("=W", 400)],
        on=datetime.date(2021, 1, 1),
    )
    for holder in (x, y):
        InterestElection.objects.create(holder=holder, share_class=interest_class, take_as="shares")
    PayoutAccount.objects.create(
        holder=y, account_name="Y and Partner", sort_code="123456", account_number="12345678"
    )
    PayoutAccount.objects.create(holder=z, iban="GB82WEST12345698765432")
    PayoutAccount.objects.create(holder=w, sort_code="400000", account_number="10000000")
    run = approve_run(
        run=start_run(share_class=interest_class, year=1, declared_rate_percent=D("3")),
        by=director,
        on_date=datetime.date(2022, 3, 1),
    )
    holding = {h.holder_id: h.pk for h in Holding.objects.all()}
    assert rows(payment_file_csv(run)) == [
        ["name", "sort_code", "account_number", "iban", "amount", "reference"],
        ["Y and Partner", "12-34-56", "12345678", "", "0.50", f"RETURN Y1 H{holding[y.pk]}"],
        ["Z", "", "", "GB82WEST12345698765432", "30.00", f"RETURN Y1 H{holding[z.pk]}"],
        ["'=W", "40-00-00", "10000000", "", "12.00", f"RETURN Y1 H{holding[w.pk]}"],
    ]


def test_payout_accounts_check_their_bank_details(holder):
    with pytest.raises(ValidationError, match="check digits"):
        PayoutAccount(holder=holder, iban="GB83WEST12345698765432").full_clean()
    with pytest.raises(ValidationError, match="six digits"):
        PayoutAccount(holder=holder, sort_code="12-34-56", account_number="12345678").full_clean()
    with pytest.raises(IntegrityError), transaction.atomic():
        PayoutAccount.objects.create(holder=holder, sort_code="123456")


def test_the_hmrc_return_lists_everyone_paid_fifteen_pounds_or_more_in_the_tax_year(
    society, interest_class, director, treasurer
):
    over, under, reinvesting = seed_register(
        share_class=interest_class,
        holdings=[("Exactly", 1000), ("Just under", 999), ("Reinvests", 1000)],
        on=datetime.date(2021, 1, 1),
    )
    Holder.objects.filter(pk=over.pk).update(postal_address="1 High Street\nHebden Bridge\nHX7 8AA")
    InterestElection.objects.create(holder=reinvesting, share_class=interest_class, take_as="shares")

    # 1.5% for the year: 15.00 on £1,000 and 14.985 → 14.99 on £999.
    year1 = approve_run(
        run=start_run(share_class=interest_class, year=1, declared_rate_percent=D("1.5")),
        by=director,
        on_date=datetime.date(2022, 3, 1),
    )
    assert paid(year1) == {"Exactly": "15.00", "Just under": "14.99", "Reinvests": "15.00"}
    give_payout_accounts(year1)
    mark_run_paid(run=year1, by=treasurer, paid_on=datetime.date(2022, 4, 6))  # first day of 2022-23
    year2 = approve_run(
        run=start_run(share_class=interest_class, year=2, declared_rate_percent=D("1.5")),
        by=director,
        on_date=datetime.date(2023, 3, 1),
    )
    give_payout_accounts(year2)
    mark_run_paid(run=year2, by=treasurer, paid_on=datetime.date(2023, 4, 6))  # the next tax year
    approve_run(
        run=start_run(share_class=interest_class, year=3, declared_rate_percent=D("5")),
        by=director,
        on_date=datetime.date(2024, 3, 1),
    )  # approved, not paid: not in any return yet

    assert rows(hmrc_interest_return_csv(society, 2022)) == [
        ["name", "address", "amount"],
        ["Exactly", "1 High Street, Hebden Bridge, HX7 8AA", "15.00"],
        ["Reinvests", "2 Canal Street, Todmorden OL14 5AA", "15.00"],
    ]
    assert [row[0] for row in rows(hmrc_interest_return_csv(society, 2023))[1:]] == ["Exactly", "Reinvests"]
    assert rows(hmrc_interest_return_csv(society, 2021)) == [["name", "address", "amount"]]
    assert rows(hmrc_interest_return_csv(society, 2024)) == [["name", "address", "amount"]]


# --- The command -----------------------------------------------------------------------------------


def test_run_returns_previews_then_approves_and_writes_the_payment_file(society, worked, tmp_path):
    share_class, _ = worked
    PayoutAccount.objects.create(holder=worked[1][0], sort_code="200000", account_number="55779911")
    PayoutAccount.objects.create(holder=worked[1][1], sort_code="200001", account_number="55779912")
    PayoutAccount.objects.create(holder=worked[1][2], iban="GB82WEST12345698765432")
    out = io.StringIO()
    call_command(
        "run_returns", society.slug, "investor shares", "1", "--surplus", "8000", "--approve", stdout=out
    )
    assert "Approved run" in out.getvalue()

    out = io.StringIO()
    call_command("run_returns", society.slug, str(share_class.pk), "2", "--surplus", "20,000", stdout=out)
    preview = out.getvalue()
    assert "Declared surplus £20,000.00; pool £5,000.00" in preview
    for amount in ("2,459.06", "1,721.34", "819.60"):
        assert amount in preview
    assert "Not approved" in preview
    assert DistributionRun.objects.get(year=2).state == DistributionRun.State.DRAFT

    target = tmp_path / "pay.csv"
    out = io.StringIO()
    call_command(
        "run_returns",
        society.slug,
        "Investor shares",
        "2",
        "--surplus",
        "20000",
        "--approve",
        "--payment-file",
        str(target),
        stdout=out,
    )
    assert "(3 payments)" in out.getvalue()
    assert DistributionRun.objects.get(year=2).state == DistributionRun.State.APPROVED
    assert DistributionRun.objects.get(year=2).approved_by is None
    written = rows(target.read_text())
    assert [(row[0], row[1], row[4]) for row in written[1:]] == [
        ("A", "20-00-00", "2459.06"),
        ("B", "20-00-01", "1721.34"),
        ("C", "", "819.60"),
    ]


def test_run_returns_turns_refusals_into_command_errors(society, worked):
    with pytest.raises(CommandError, match="no share class 'Bonds'"):
        call_command("run_returns", society.slug, "Bonds", "1", "--surplus", "1")
    with pytest.raises(CommandError, match="No society has the slug"):
        call_command("run_returns", "nowhere", "Investor shares", "1", "--surplus", "1")
    with pytest.raises(CommandError, match="not a number"):
        call_command("run_returns", society.slug, "Investor shares", "1", "--surplus", "lots")
    with pytest.raises(CommandError, match="add --approve"):
        call_command(
            "run_returns", society.slug, "Investor shares", "1", "--surplus", "1", "--payment-file", "x"
        )
    with pytest.raises(CommandError, match="not a declared rate"):
        call_command("run_returns", society.slug, "Investor shares", "1", "--surplus", "1", "--rate", "2")


# --- Holdings bought in several goes ---------------------------------------------------------------


def test_a_top_up_during_the_year_is_weighted_from_its_own_issue_date(society):
    """Capital × days counts each part of a holding from its own issue date."""
    from capital.models import ReturnSchedule
    from tests.factories import InvestorClassFactory

    share_class = InvestorClassFactory(society=society, name="Patient capital")
    ReturnSchedule.objects.create(
        share_class=share_class,
        first_year_end=datetime.date(2023, 12, 31),
        pool_percent=D("100"),
        weighting=ReturnSchedule.Weighting.CAPITAL_DAYS,
    )
    early, topped_up = seed_register(
        share_class=share_class, holdings=[("Early", 2000), ("Topped up", 1000)], on=datetime.date(2023, 1, 1)
    )
    issue_shares(
        society=society,
        holder=topped_up,
        share_class=share_class,
        shares=1000,
        amount=gbp(1000),
        effective_date=datetime.date(2023, 7, 2),  # 183 days of the 365 left
    )
    run = start_run(share_class=share_class, year=1, surplus=D("5830"))
    # Weights: Early 2,000 × 365 = 730,000; Topped up 1,000 × 365 + 1,000 × 183 = 548,000.
    # 5,830 × 730,000 / 1,278,000 = 3,330.12…; 5,830 × 548,000 / 1,278,000 = 2,499.87…
    assert paid(run) == {"Early": "3330.13", "Topped up": "2499.87"}
    line = run.lines.get(holder=topped_up)
    assert (line.capital, line.days_held) == (D("2000.00"), 274)


def test_a_withdrawal_that_leaves_more_received_than_the_cap_on_the_rest_extinguishes_the_holding(
    society, director
):
    from capital.models import ReturnSchedule
    from shares.services.register import remove_shares
    from tests.factories import CommunityClassFactory

    share_class = CommunityClassFactory(society=society, name="Capped community shares")
    ReturnSchedule.objects.create(
        share_class=share_class,
        first_year_end=datetime.date(2021, 12, 31),
        pool_percent=D("50"),
        cap_multiple=D("1.5"),
    )
    (holder,) = seed_register(
        share_class=share_class, holdings=[("Leaver", 1000)], on=datetime.date(2021, 1, 1)
    )
    approve_run(
        run=start_run(share_class=share_class, year=1, surplus=D("1000")),
        by=director,
        on_date=datetime.date(2022, 2, 1),
    )  # paid 500: under the 1,500 cap
    remove_shares(
        society=society,
        kind="withdrawal",
        holder=holder,
        share_class=share_class,
        shares=700,
        effective_date=datetime.date(2022, 3, 1),
    )  # the cap on the 300 left is 450
    run = start_run(share_class=share_class, year=2, surplus=D("1000"))
    line = run.lines.get()
    assert (line.paid, line.status) == (D("0.00"), "capped")
