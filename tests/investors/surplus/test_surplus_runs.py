"""Surplus runs: one financial year's whole surplus split by the society's rules between
reserves, Labour, User and Investor, previewed, approved by a director with every register entry
in one transaction, paid; statements for every recipient and the year's figures announced."""

import datetime
import io
from decimal import Decimal as D

import pytest
from django.core import mail
from django.core.management import call_command

from capital.decisions import Kind
from capital.errors import CapitalError
from capital.models import AuditEntry
from capital.services import save_surplus_rules
from investors.errors import SurplusRunError
from investors.models import DistributionRun, Document, PayoutAccount, SurplusRun
from investors.runs.services import start_run
from investors.surplus.exports import surplus_payment_file_csv
from investors.surplus.services import approve_surplus_run, mark_surplus_run_paid, start_surplus_run
from shares.models import Holder, Holding, LedgerEntry
from shares.services.verification import verify_register
from tests import factories
from tests.builders import COOP_YEAR_END as YEAR_END
from tests.builders import board_seat, contributions, give_payout_accounts, issue, pdf_text

State = SurplusRun.State
APPROVED_ON = datetime.date(2024, 4, 30)
MID_YEAR = datetime.date(2023, 6, 1)


def lines_of(run, part):
    return {
        line.holder.name: (line.paid, line.cash, line.member_shares) for line in run.lines.filter(part=part)
    }


def test_the_preview_splits_every_part_to_the_penny_and_reserves_take_the_rest(coop):
    director = board_seat(society=coop.society, role="director")
    run = start_surplus_run(society=coop.society, year_end=YEAR_END, surplus=D("10000.00"), by=director)

    assert run.state == State.DRAFT and (run.starts_on, run.ends_on) == (datetime.date(2023, 1, 1), YEAR_END)
    assert (run.labour.amount, run.user.amount, run.investor.amount) == (
        D("3500.00"),
        D("2500.00"),
        D("2500.00"),
    )
    assert run.reserves.amount == D("1500.00")
    assert lines_of(run, "labour") == {
        "Ann": (D("2098.95"), D("0.95"), 2098),
        "Bo": (D("1049.48"), D("0.48"), 1049),
        "Cy": (D("351.57"), D("0.57"), 351),
    }
    assert lines_of(run, "user") == {
        "Di": (D("1876.56"), D("1876.56"), 0),
        "Ed": (D("623.44"), D("623.44"), 0),
    }
    (investor_run,) = run.investor_runs.all()
    assert investor_run.state == DistributionRun.State.DRAFT and investor_run.surplus.amount == D("10000.00")
    assert investor_run.pool.amount == D("2500.00") and investor_run.paid.amount == D("2500.00")
    assert sum(run.lines.filter(part="labour").values_list("paid", flat=True)) == run.labour.amount
    assert sum(run.lines.filter(part="user").values_list("paid", flat=True)) == run.user.amount
    assert not LedgerEntry.objects.filter(effective_date__gt=YEAR_END).exists(), "a preview writes nothing"
    assert AuditEntry.objects.filter(action="surplus_run.started", actor=director).exists()


def test_approval_writes_every_register_entry_announces_the_figures_and_sends_statements(
    coop, decisions_heard, django_capture_on_commit_callbacks
):
    run = start_surplus_run(society=coop.society, year_end=YEAR_END, surplus=D("10000.00"))
    director = board_seat(society=coop.society, role="director")
    with django_capture_on_commit_callbacks(execute=True):
        run = approve_surplus_run(run=run, by=director, on_date=APPROVED_ON)

    assert run.state == State.APPROVED and run.approved_on == APPROVED_ON and run.approved_by == director
    assert run.investor_runs.get().state == DistributionRun.State.APPROVED
    issued = {
        line.holder.name: (line.ledger_entry.shares, line.ledger_entry.effective_date, line.ledger_entry.kind)
        for line in run.lines.filter(member_shares__gt=0).select_related("ledger_entry", "holder")
    }
    assert issued == {
        "Ann": (2098, APPROVED_ON, "issue"),
        "Bo": (1049, APPROVED_ON, "issue"),
        "Cy": (351, APPROVED_ON, "issue"),
    }
    ann = Holding.objects.get(holder=coop.members["Ann"], share_class=coop.investor)
    assert ann.shares == 2098 and ann.amount_paid.amount == D("2098.00")
    assert verify_register(coop.society).ok

    decision = next(each for each in decisions_heard if each.kind == Kind.SURPLUS_RUN_APPROVED)
    assert decision.summary == (
        "The surplus of £10,000.00 for the year ending 31 December 2023 was split: £1,500.00 to reserves, "
        "£3,500.00 to Labour (3 members), £2,500.00 to User (2 members) and £2,500.00 to investors through "
        "their classes' return schedules; 3,498 member shares issued."
    )
    assert not any(name in decision.summary for name in coop.members)
    assert {each.kind for each in decisions_heard} >= {Kind.RUN_APPROVED, Kind.SURPLUS_RUN_APPROVED}

    statements = Document.objects.filter(kind=Document.Kind.SURPLUS_STATEMENT, surplus_run=run)
    assert {document.holder.name for document in statements} == {"Ann", "Bo", "Cy", "Di", "Ed"}
    subjects = {(message.to[0], message.subject) for message in mail.outbox}
    assert ("ann@example.org", f"Your share of the surplus from {coop.society.name}") in subjects
    assert ("fay@example.org", f"Your statement of returns from {coop.society.name}") in subjects
    with statements.get(holder=coop.members["Ann"]).file.open("rb") as pdf:
        text = pdf_text(pdf.read())
    assert "Your surplus dividend" in text and "£2,098.95" in text
    assert (
        "Your recorded contribution (hours or pay)" in text and "of 2001 recorded for all its members" in text
    )
    assert "2098 × £1.00" in text and "In money £0.95" in text
    assert "35% to Labour" in text and "carry no vote and no control right" in text


def test_a_second_approval_is_refused_and_changes_nothing(coop):
    run = start_surplus_run(society=coop.society, year_end=YEAR_END, surplus=D("10000.00"))
    approve_surplus_run(run=run, by=None, on_date=APPROVED_ON)
    entries = LedgerEntry.objects.count()
    with pytest.raises(SurplusRunError, match="approved by the board; it cannot become approved"):
        approve_surplus_run(run=run, by=None, on_date=APPROVED_ON)
    with pytest.raises(SurplusRunError, match="already been split and approved"):
        start_surplus_run(society=coop.society, year_end=YEAR_END, surplus=D("10000.00"))
    assert LedgerEntry.objects.count() == entries


@pytest.mark.parametrize("surplus", [D("0.00"), D("-4000.00")])
def test_no_surplus_or_a_loss_pays_no_part_and_the_reserves_carry_it(coop, surplus):
    run = start_surplus_run(society=coop.society, year_end=YEAR_END, surplus=surplus)
    assert (run.labour.amount, run.user.amount, run.investor.amount) == (0, 0, 0)
    assert run.reserves.amount == surplus
    assert set(run.lines.values_list("paid", flat=True)) == {D("0.00")}
    approve_surplus_run(run=run, by=None, on_date=APPROVED_ON)
    assert not LedgerEntry.objects.filter(effective_date=APPROVED_ON).exists()
    assert not Document.objects.filter(kind=Document.Kind.SURPLUS_STATEMENT).exists()


def test_contributors_who_are_not_members_at_the_year_end_take_no_part_and_the_preview_says_so(coop):
    newcomer = factories.HolderFactory(name="Hal", email="hal@example.org")
    issue(holder=newcomer, share_class=coop.labour, shares=1, on=datetime.date(2024, 2, 1))
    contributions(
        society=coop.society,
        part="labour",
        year_end=YEAR_END,
        amounts={coop.members["Ann"]: "100", newcomer: "100"},
    )
    run = start_surplus_run(society=coop.society, year_end=YEAR_END, surplus=D("1000.00"))
    assert lines_of(run, "labour") == {"Ann": (D("350.00"), D("0.00"), 350)}
    assert run.notes == [
        "1 labour contributor was not a member of Labour shares on 31 December 2023 and takes no part: Hal."
    ]


def test_a_member_who_died_during_the_year_takes_no_part(coop):
    Holder.objects.filter(pk=coop.members["Cy"].pk).update(died_on=datetime.date(2023, 11, 30))
    run = start_surplus_run(society=coop.society, year_end=YEAR_END, surplus=D("1000.00"))
    assert set(lines_of(run, "labour")) == {"Ann", "Bo"}
    assert "takes no part: Cy." in run.notes[0]


def test_labour_shared_by_shares_held_needs_no_contributions(coop):
    coop.rules.labour_basis = coop.rules.LabourBasis.SHARES
    coop.rules.labour_pay_as = coop.rules.PayAs.CASH
    save_surplus_rules(rules=coop.rules)
    issue(holder=coop.members["Ann"], share_class=coop.labour, shares=2, on=MID_YEAR)
    run = start_surplus_run(society=coop.society, year_end=YEAR_END, surplus=D("1000.00"))
    assert lines_of(run, "labour") == {
        "Ann": (D("210.00"), D("210.00"), 0),
        "Bo": (D("70.00"), D("70.00"), 0),
        "Cy": (D("70.00"), D("70.00"), 0),
    }
    assert run.labour_import is None and run.user_import is not None


def test_the_year_must_be_over_be_the_societys_and_have_its_contributions(coop):
    society = coop.society
    with pytest.raises(SurplusRunError, match="is not over"):
        start_surplus_run(society=society, year_end=datetime.date(2099, 12, 31), surplus=D("1"))
    with pytest.raises(SurplusRunError, match="financial year ends on 31 December"):
        start_surplus_run(society=society, year_end=datetime.date(2023, 3, 31), surplus=D("1"))
    with pytest.raises(
        SurplusRunError, match="No labour contributions are recorded for the year ending 31 December 2022"
    ):
        start_surplus_run(society=society, year_end=datetime.date(2022, 12, 31), surplus=D("1"))
    with pytest.raises(SurplusRunError, match="whole pennies"):
        start_surplus_run(society=society, year_end=YEAR_END, surplus=D("1.001"))
    with pytest.raises(SurplusRunError, match="no surplus rules"):
        start_surplus_run(
            society=factories.SocietyFactory(), year_end=datetime.date(2025, 3, 31), surplus=D("1")
        )
    with pytest.raises(CapitalError, match="Only a director or treasurer"):
        start_surplus_run(
            society=society,
            year_end=YEAR_END,
            surplus=D("1"),
            by=board_seat(society=society, role="secretary"),
        )
    assert not SurplusRun.objects.exists()


def test_schedules_taking_more_than_the_investor_fraction_are_refused(coop):
    second = factories.InvestorClassFactory(society=coop.society, name="Second investor shares")
    factories.ReturnScheduleFactory(share_class=second, first_year_end=YEAR_END, pool_percent=D("5"))
    with pytest.raises(SurplusRunError, match="take 30% of the surplus this year, more than the 25%"):
        start_surplus_run(society=coop.society, year_end=YEAR_END, surplus=D("1000.00"))
    assert not SurplusRun.objects.exists() and not DistributionRun.objects.exists()


def test_a_schedule_whose_years_do_not_end_with_the_societys_is_refused(coop):
    other = factories.InvestorClassFactory(society=coop.society, name="Odd years")
    factories.ReturnScheduleFactory(
        share_class=other, first_year_end=datetime.date(2023, 6, 30), pool_percent=D("1")
    )
    with pytest.raises(SurplusRunError, match="runs to 30 June each year, not to the society's year end"):
        start_surplus_run(society=coop.society, year_end=YEAR_END, surplus=D("1000.00"))


def test_an_investor_run_approved_before_is_adopted_on_the_same_surplus_only(coop):
    approved = start_run(share_class=coop.investor, year=1, surplus=D("8000.00"))
    from investors.runs.services import approve_run

    approve_run(run=approved, by=None, on_date=APPROVED_ON)
    with pytest.raises(SurplusRunError, match="already approved on a surplus of £8,000.00"):
        start_surplus_run(society=coop.society, year_end=YEAR_END, surplus=D("10000.00"))
    run = start_surplus_run(society=coop.society, year_end=YEAR_END, surplus=D("8000.00"))
    assert list(run.investor_runs.all()) == [approved] and run.investor.amount == D("2000.00")
    approve_surplus_run(run=run, by=None, on_date=APPROVED_ON)
    assert verify_register(coop.society).ok


@pytest.mark.parametrize("change", ["rules", "contributions", "register", "investor run"])
def test_approval_refuses_a_preview_that_no_longer_holds(coop, change):
    run = start_surplus_run(society=coop.society, year_end=YEAR_END, surplus=D("10000.00"))
    if change == "rules":
        coop.rules.user_pay_as = coop.rules.PayAs.SHARES
        save_surplus_rules(rules=coop.rules)
    elif change == "contributions":
        contributions(society=coop.society, part="user", year_end=YEAR_END, amounts={coop.members["Di"]: "1"})
    elif change == "register":
        issue(
            holder=factories.HolderFactory(), share_class=coop.user, shares=1, on=datetime.date(2023, 12, 1)
        )
    else:
        start_run(share_class=coop.investor, year=1, surplus=D("10000.00"))
    entries = LedgerEntry.objects.count()
    with pytest.raises(SurplusRunError, match="start the year again"):
        approve_surplus_run(run=run, by=None, on_date=APPROVED_ON)
    run.refresh_from_db()
    assert run.state == State.DRAFT and LedgerEntry.objects.count() == entries
    assert not DistributionRun.objects.filter(state=DistributionRun.State.APPROVED).exists()


def test_starting_the_year_again_replaces_the_draft(coop):
    first = start_surplus_run(society=coop.society, year_end=YEAR_END, surplus=D("10000.00"))
    second = start_surplus_run(society=coop.society, year_end=YEAR_END, surplus=D("12000.00"))
    assert not SurplusRun.objects.filter(pk=first.pk).exists()
    with pytest.raises(SurplusRunError, match="was replaced when the year was started again"):
        approve_surplus_run(run=first, by=None, on_date=APPROVED_ON)
    assert second.labour.amount == D("4200.00")


def test_only_a_director_approves_and_the_treasurer_records_it_paid_with_the_investor_runs(coop):
    run = start_surplus_run(society=coop.society, year_end=YEAR_END, surplus=D("10000.00"))
    treasurer = board_seat(society=coop.society, role="treasurer")
    with pytest.raises(CapitalError, match="Only a director"):
        approve_surplus_run(run=run, by=treasurer, on_date=APPROVED_ON)
    approve_surplus_run(run=run, by=board_seat(society=coop.society, role="director"), on_date=APPROVED_ON)
    with pytest.raises(SurplusRunError, match="paid after it ends"):
        mark_surplus_run_paid(run=run, by=treasurer, paid_on=YEAR_END)
    give_payout_accounts(run)
    run = mark_surplus_run_paid(run=run, by=treasurer, paid_on=datetime.date(2024, 5, 2))
    assert run.state == State.PAID and run.investor_runs.get().state == DistributionRun.State.PAID
    assert run.investor_runs.get().paid_on == datetime.date(2024, 5, 2)


def test_the_payment_file_pays_each_dividend_in_money_and_the_investors_returns(coop):
    factories.PayoutAccountFactory(holder=coop.members["Di"], account_name="D Jones")
    run = start_surplus_run(society=coop.society, year_end=YEAR_END, surplus=D("10000.00"))
    with pytest.raises(SurplusRunError, match="draft"):
        surplus_payment_file_csv(run)
    run = approve_surplus_run(run=run, by=None, on_date=APPROVED_ON)
    give_payout_accounts(run)
    rows = surplus_payment_file_csv(run).splitlines()
    di, fay = coop.members["Di"], coop.members["Fay"]
    assert rows[0] == "name,sort_code,account_number,iban,amount,reference"
    assert f"D Jones,12-34-56,12345678,,1876.56,SURPLUS23 U H{di.pk}" in rows
    ann = PayoutAccount.objects.get(holder=coop.members["Ann"])
    assert f"Ann,40-00-00,{ann.account_number},,0.95,SURPLUS23 L H{coop.members['Ann'].pk}" in rows
    holding = Holding.objects.get(holder=fay, share_class=coop.investor)
    fay_account = PayoutAccount.objects.get(holder=fay).account_number
    assert f"Fay,40-00-00,{fay_account},,1875.00,RETURN Y1 H{holding.pk}" in rows
    assert len(rows) == 1 + 5 + 2


def test_the_board_previews_approves_and_downloads_in_the_admin(client, coop):
    director = board_seat(society=coop.society, role="director")
    client.force_login(director)
    started = client.post(
        "/admin/surplus/start/", {"society": coop.society.pk, "year_end": "2023-12-31", "surplus": "10000"}
    )
    run = SurplusRun.objects.get()
    assert started.status_code == 302 and started["Location"] == f"/admin/surplusrun/inspect/{run.pk}/"
    url = f"/admin/surplusrun/action/approve/{run.pk}/"
    page = client.get(url).content.decode()
    assert "Reserves £1,500.00; Labour £3,500.00 to 3 members; User £2,500.00 to 2 members" in page
    assert "3,498 member shares are issued with the approval" in page
    assert client.post(url).status_code == 302
    run.refresh_from_db()
    assert run.state == State.APPROVED
    give_payout_accounts(run)
    download = client.get(f"/admin/surplus/{run.pk}/payment-file/")
    assert download.status_code == 200 and b"SURPLUS23 U" in download.content

    refused = client.post(
        "/admin/surplus/start/", {"society": coop.society.pk, "year_end": "2023-12-31", "surplus": "1"}
    )
    assert refused.status_code == 200 and "already been split and approved" in refused.content.decode()

    client.force_login(board_seat(society=factories.SocietyFactory(), role="director"))
    assert client.get(f"/admin/surplusrun/inspect/{run.pk}/").status_code == 404
    assert client.get(f"/admin/surplus/{run.pk}/payment-file/").status_code == 404


def test_the_command_previews_and_approves(coop, tmp_path):
    out = io.StringIO()
    call_command("run_surplus", coop.society.slug, "2023-12-31", "--surplus", "10,000", stdout=out)
    assert "Reserves £1,500.00" in out.getvalue() and "Not approved" in out.getvalue()
    path = tmp_path / "pay.csv"
    out = io.StringIO()
    for member in coop.members.values():
        factories.PayoutAccountFactory(holder=member)
    call_command(
        "run_surplus", coop.society.slug, "2023-12-31", "--surplus", "10000", "--approve",
        "--payment-file", str(path), stdout=out,
    )  # fmt: skip
    assert "Approved surplus run" in out.getvalue() and "SURPLUS23 U" in path.read_text()
