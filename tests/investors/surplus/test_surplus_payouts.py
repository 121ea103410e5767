"""A surplus run's payment file and "record paid" name everyone owed money with no payout
account (members owed a dividend, holders owed by its investor runs) and wait until each is
resolved: the account given, paid another way or held, as for a distribution run."""

import csv
import datetime
import io
from decimal import Decimal as D

import pytest
from django.core.management import CommandError, call_command

from capital.models import AuditEntry
from investors.errors import SurplusRunError
from investors.models import DistributionLine, SurplusLine, SurplusRun
from investors.models.payouts import Payout
from investors.payouts.accounts import PayoutDetails, save_payout_details
from investors.runs.payouts import resolve_line_payout
from investors.surplus.exports import surplus_payment_file_csv
from investors.surplus.payouts import resolve_dividend_payout, return_dividend_to_file
from investors.surplus.services import approve_surplus_run, mark_surplus_run_paid, start_surplus_run
from tests import factories
from tests.admin_pages import action_url
from tests.builders import COOP_YEAR_END, board_seat, give_payout_accounts

PAID_ON = datetime.date(2024, 5, 2)
EVERYONE = "7 holders owed money have no payout account: Ann, Bo, Cy, Di, Ed, Fay, Gus."


@pytest.fixture
def approved(coop):
    director = board_seat(society=coop.society, role="director")
    treasurer = board_seat(society=coop.society, role="treasurer")
    run = start_surplus_run(society=coop.society, year_end=COOP_YEAR_END, surplus=D("10000.00"), by=director)
    run = approve_surplus_run(run=run, by=director, on_date=datetime.date(2024, 4, 30))
    return run, treasurer


def give_account(holder, number):
    save_payout_details(holder=holder, details=PayoutDetails(holder.name, "200000", number), by=None)


def dividend(run, name):
    return SurplusLine.objects.get(run=run, holder__name=name)


def test_the_file_and_record_paid_name_every_member_and_investor_without_an_account(approved):
    run, treasurer = approved
    with pytest.raises(SurplusRunError, match=EVERYONE):
        surplus_payment_file_csv(run)
    with pytest.raises(SurplusRunError, match="Before recording the surplus run as paid"):
        mark_surplus_run_paid(run=run, by=treasurer, paid_on=PAID_ON)
    run.refresh_from_db()
    assert run.state == SurplusRun.State.APPROVED


def test_each_is_resolved_and_only_the_bank_file_payments_are_in_the_file(client, approved, coop):
    run, treasurer = approved
    for number, name in enumerate(("Ann", "Bo", "Di", "Fay")):
        give_account(coop.members[name], f"1111000{number}")
    with pytest.raises(SurplusRunError, match="3 holders owed money have no payout account: Cy, Ed, Gus."):
        surplus_payment_file_csv(run)

    client.force_login(treasurer)
    summary = client.get(f"/admin/surplusrun/action/mark-paid/{run.pk}/").content.decode()
    assert "3 holders owed money have no payout account: Cy, Ed, Gus." in summary
    resolve = action_url("surplusline", "resolve-payout", dividend(run, "Cy").pk)
    assert "Cy is owed a Labour dividend of" in client.get(resolve).content.decode()
    assert client.post(resolve, {"payout": "held", "note": "No answer to two letters"}).status_code == 302
    resolve_dividend_payout(
        line=dividend(run, "Ed"), payout=Payout.PAID_OTHER_WAY, note="Cheque 88", by=treasurer
    )
    gus = DistributionLine.objects.get(run__in=run.investor_runs.all(), holder__name="Gus")
    resolve_line_payout(line=gus, payout=Payout.PAID_OTHER_WAY, note="Cheque 89", by=treasurer)

    assert dividend(run, "Cy").payout == Payout.HELD
    assert AuditEntry.objects.filter(
        action="surplus_run.line_payout", summary__contains="to Cy held until the holder gives an account"
    ).exists()
    rows = list(csv.DictReader(io.StringIO(surplus_payment_file_csv(run))))
    assert sorted(row["name"] for row in rows) == ["Ann", "Bo", "Di", "Fay"]
    assert all(row["sort_code"] == "20-00-00" and row["account_number"] for row in rows)

    paid = mark_surplus_run_paid(run=run, by=treasurer, paid_on=PAID_ON)
    assert paid.state == SurplusRun.State.PAID
    assert {investor_run.state for investor_run in paid.investor_runs.all()} == {"paid"}


def test_a_held_dividend_goes_back_in_the_file_once_the_member_gives_an_account(approved, coop):
    run, treasurer = approved
    line = resolve_dividend_payout(line=dividend(run, "Di"), payout=Payout.HELD, note="Moved", by=treasurer)
    with pytest.raises(SurplusRunError, match="Only a held payment"):
        return_dividend_to_file(line=dividend(run, "Ann"), by=treasurer)
    give_account(coop.members["Di"], "22223333")
    line = return_dividend_to_file(line=line, by=treasurer)
    assert (line.payout, line.payout_note) == (Payout.BANK_FILE, "")
    with pytest.raises(SurplusRunError, match="6 holders owed money have no payout account: Ann, Bo, Cy, Ed"):
        surplus_payment_file_csv(run)


def test_a_dividend_is_resolved_with_a_note_only_on_an_approved_run_not_yet_paid(approved):
    run, treasurer = approved
    with pytest.raises(SurplusRunError, match="Say how"):
        resolve_dividend_payout(line=dividend(run, "Ann"), payout=Payout.HELD, note="  ", by=treasurer)
    with pytest.raises(SurplusRunError, match="Choose paid another way, or held"):
        resolve_dividend_payout(line=dividend(run, "Ann"), payout=Payout.BANK_FILE, note="x", by=treasurer)
    give_payout_accounts(run)
    mark_surplus_run_paid(run=run, by=treasurer, paid_on=PAID_ON)
    with pytest.raises(SurplusRunError, match="this one is paid"):
        resolve_dividend_payout(line=dividend(run, "Ann"), payout=Payout.HELD, note="x", by=treasurer)
    assert dividend(run, "Ann").payout == Payout.BANK_FILE


def test_the_command_approves_but_writes_no_file_while_an_account_is_missing(coop, tmp_path):
    for name, member in coop.members.items():
        if name != "Gus":
            factories.PayoutAccountFactory(holder=member)
    path = tmp_path / "pay.csv"
    out = io.StringIO()
    with pytest.raises(
        CommandError, match="no payment file yet. 1 holder owed money has no payout account: Gus."
    ):
        call_command(
            "run_surplus", coop.society.slug, "2023-12-31", "--surplus", "10000", "--approve",
            "--payment-file", str(path), stdout=out,
        )  # fmt: skip
    assert "Approved surplus run" in out.getvalue() and not path.exists()
    assert SurplusRun.objects.get().state == SurplusRun.State.APPROVED
