"""Each holder's line of a run in the admin, searchable; the payment file and "record paid"
name the holders owed money with no payout account and wait until each is resolved."""

import csv
import io
from decimal import Decimal as D

import pytest

from capital.models import AuditEntry, SocietyRole
from investors.errors import RunError
from investors.models import DistributionLine, DistributionRun
from investors.payouts.accounts import PayoutDetails, save_payout_details
from investors.runs.exports import payment_file_csv
from investors.runs.payouts import resolve_line_payout
from investors.runs.services import approve_run, mark_run_paid, start_run
from tests import factories
from tests.admin_pages import action_url
from tests.builders import board_seat

Role = SocietyRole.Role


@pytest.fixture
def approved(profit_class):
    society = profit_class.society
    director = board_seat(society=society, role=Role.DIRECTOR)
    treasurer = board_seat(society=society, role=Role.TREASURER)
    run = start_run(share_class=profit_class, year=1, surplus=D("40000"), by=director)
    run = approve_run(run=run, by=director)
    return run, director, treasurer


def line_of(run, name):
    return DistributionLine.objects.get(run=run, holder__name=name)


def test_the_lines_list_shows_who_gets_what_and_is_searchable(client, approved, profit_class):
    run, director, treasurer = approved
    client.force_login(treasurer)
    response = client.get(f"/admin/runs/{run.pk}/lines/")
    assert response.status_code == 302 and response["Location"].endswith(f"?run={run.pk}")
    page = client.get(response["Location"]).content.decode()
    assert line_of(run, "A").paid == D("5882.35")
    assert "5882.35" in page.replace(",", "") and "4117.65" in page.replace(",", "")
    searched = client.get(f"/admin/distributionline/?run={run.pk}&q=B").content.decode()
    assert "4117.65" in searched.replace(",", "") and "5882.35" not in searched.replace(",", "")

    other_society = board_seat(society=factories.SocietyFactory(), role=Role.TREASURER)
    client.force_login(other_society)
    assert "4117.65" not in client.get("/admin/distributionline/").content.decode().replace(",", "")
    assert client.get(f"/admin/distributionline/inspect/{line_of(run, 'A').pk}/").status_code == 404


def test_the_payment_file_and_record_paid_wait_for_holders_without_an_account(client, approved):
    run, director, treasurer = approved
    with pytest.raises(RunError, match="2 holders owed money have no payout account: A, B"):
        payment_file_csv(run)
    with pytest.raises(RunError, match="no payout account"):
        mark_run_paid(run=run, by=treasurer)

    client.force_login(treasurer)
    refused = client.get(f"/admin/runs/{run.pk}/payment-file/", follow=True)
    assert "no payout account: A, B" in refused.content.decode()
    missing = client.get(f"/admin/distributionline/?run={run.pk}&no_payout_account=true").content.decode()
    assert "5882.35" in missing.replace(",", "")

    a, b = line_of(run, "A"), line_of(run, "B")
    save_payout_details(holder=a.holder, details=PayoutDetails("A", "200000", "11112222"), by=None)
    resolve = action_url("distributionline", "resolve-payout", b.pk)
    assert "B is owed £4,117.65" in client.get(resolve).content.decode()
    client.post(resolve, {"payout": "held", "note": "No answer to two letters"})
    b.refresh_from_db()
    assert b.payout == DistributionLine.Payout.HELD
    assert AuditEntry.objects.filter(action="run.line_payout", summary__contains="No answer").exists()

    rows = list(
        csv.DictReader(io.StringIO(client.get(f"/admin/runs/{run.pk}/payment-file/").content.decode()))
    )
    assert [(row["name"], row["sort_code"], row["amount"]) for row in rows] == [("A", "20-00-00", "5882.35")]
    paid = mark_run_paid(run=run, by=treasurer)
    assert paid.state == DistributionRun.State.PAID


def test_a_payment_is_resolved_only_with_a_note_and_only_on_an_approved_run(approved, profit_class):
    run, director, treasurer = approved
    line = line_of(run, "A")
    with pytest.raises(RunError, match="Say how"):
        resolve_line_payout(line=line, payout="paid_other_way", note=" ", by=treasurer)
    resolve_line_payout(line=line, payout="paid_other_way", note="Cheque 100231", by=treasurer)
    resolve_line_payout(line=line_of(run, "B"), payout="paid_other_way", note="Cheque 100232", by=treasurer)
    mark_run_paid(run=run, by=treasurer)
    with pytest.raises(RunError, match="recorded as paid"):
        resolve_line_payout(line=line, payout="held", note="x", by=treasurer)


def test_the_approval_preview_names_the_holders_without_an_account(client, profit_class):
    director = board_seat(society=profit_class.society, role=Role.DIRECTOR)
    run = start_run(share_class=profit_class, year=1, surplus=D("40000"), by=director)
    client.force_login(director)
    page = client.get(action_url("distributionrun", "approve", run.pk)).content.decode()
    assert "2 holders owed money have no payout account: A, B" in page
