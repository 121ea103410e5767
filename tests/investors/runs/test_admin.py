"""Distribution runs in the board's admin: started by the treasurer, approved by a director, paid
by the treasurer with the bank's payment file; never seen by another society's board."""

import csv
import datetime
import io
from decimal import Decimal as D

from capital.models import SocietyRole
from investors.models import DistributionRun
from tests import factories
from tests.admin_pages import action_url, refused
from tests.builders import board_seat, give_payout_accounts

Role = SocietyRole.Role


def test_a_run_is_started_read_approved_by_a_director_and_paid_by_the_treasurer(client, profit_class):
    society = profit_class.society
    treasurer, director = (
        board_seat(society=society, role=Role.TREASURER),
        board_seat(society=society, role=Role.DIRECTOR),
    )
    client.force_login(treasurer)
    response = client.post(
        "/admin/runs/start/", {"share_class": profit_class.pk, "year": 1, "surplus": "40000"}
    )
    run = DistributionRun.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/admin/distributionrun/inspect/{run.pk}/"
    approve = action_url("distributionrun", "approve", run.pk)
    assert refused(client.get(approve)), "a treasurer does not approve"

    client.force_login(director)
    page = client.get(approve).content.decode()
    assert "Pool £10,000.00: £10,000.00 paid to 2 of 2 holdings" in page
    assert client.post(approve).status_code == 302
    run.refresh_from_db()
    assert run.state == DistributionRun.State.APPROVED

    client.force_login(treasurer)
    assert (
        "no payout account: A, B"
        in client.get(f"/admin/runs/{run.pk}/payment-file/", follow=True).content.decode()
    )
    give_payout_accounts(run)
    payment_file = client.get(f"/admin/runs/{run.pk}/payment-file/")
    amounts = [D(row["amount"]) for row in csv.DictReader(io.StringIO(payment_file.content.decode()))]
    assert payment_file.status_code == 200 and sum(amounts) == D("10000.00") and len(amounts) == 2
    paid = client.post(action_url("distributionrun", "mark-paid", run.pk), {"paid_on": "2026-11-20"})
    assert paid.status_code == 302
    run.refresh_from_db()
    assert run.state == DistributionRun.State.PAID and run.paid_on == datetime.date(2026, 11, 20)


def test_a_run_form_refusal_is_shown_and_nothing_is_made(client, profit_class):
    client.force_login(board_seat(society=profit_class.society, role=Role.TREASURER))
    response = client.post(
        "/admin/runs/start/", {"share_class": profit_class.pk, "year": 1, "declared_rate_percent": "3"}
    )
    assert response.status_code == 200 and "declare the surplus" in response.content.decode()
    assert DistributionRun.objects.count() == 0


def test_another_society_cannot_see_or_pay_a_run(client, profit_class):
    director = board_seat(society=profit_class.society, role=Role.DIRECTOR)
    client.force_login(director)
    client.post("/admin/runs/start/", {"share_class": profit_class.pk, "year": 1, "surplus": "40000"})
    run = DistributionRun.objects.get()
    client.force_login(board_seat(society=factories.SocietyFactory(), role=Role.DIRECTOR))
    assert client.get(f"/admin/distributionrun/inspect/{run.pk}/").status_code == 404
    assert client.post(action_url("distributionrun", "approve", run.pk)).status_code == 404
    assert client.get(f"/admin/runs/{run.pk}/payment-file/").status_code == 404
    response = client.post("/admin/runs/start/", {"share_class": profit_class.pk, "year": 1, "surplus": "1"})
    assert "valid choice" in response.content.decode()
    run.refresh_from_db()
    assert run.state == DistributionRun.State.DRAFT and run.surplus.amount == D("40000")
