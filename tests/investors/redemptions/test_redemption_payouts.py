"""A class's redemptions payment file and "record the payment" name the holders with no payout
account and wait until each is resolved: the account given, paid another way or held, as for
a distribution run."""

import csv
import datetime
import io

import pytest
from django.utils import timezone

from capital.errors import CapitalError
from capital.models import AuditEntry
from investors.errors import RedemptionError
from investors.models import RedemptionRequest
from investors.models.payouts import Payout
from investors.payouts.accounts import PayoutDetails, save_payout_details
from investors.redemptions.exports import redemption_payment_file_csv
from investors.redemptions.payouts import resolve_redemption_payout, return_redemption_to_file
from investors.redemptions.services import (
    approve_redemptions,
    mark_redemption_paid,
    request_redemption,
    set_aside,
)
from tests import factories
from tests.admin_pages import action_url
from tests.builders import board_seat, issue
from tests.factories import gbp

State = RedemptionRequest.State
TODAY = timezone.localdate()
FOUR_YEARS_AGO = TODAY.replace(year=TODAY.year - 4)


@pytest.fixture
def approved(investor_class):
    """Ann and Bo each redeem 100 shares, approved; neither has given a payout account."""
    investor_class.redemption_minimum_holding_years = 3
    investor_class.save()
    director = board_seat(society=investor_class.society, role="director")
    treasurer = board_seat(society=investor_class.society, role="treasurer")
    requests = {}
    for index, name in enumerate(("Ann", "Bo")):
        holder = factories.HolderFactory(name=name, user=factories.UserFactory())
        issue(holder=holder, share_class=investor_class, shares=300, on=FOUR_YEARS_AGO)
        requests[name] = request_redemption(
            holder=holder,
            share_class=investor_class,
            shares=100,
            by=holder.user,
            now=timezone.now() - datetime.timedelta(days=30 - index),
        )
    set_aside(share_class=investor_class, amount=gbp(1000), by=director)
    approve_redemptions(share_class=investor_class, by=director)
    return investor_class, treasurer, requests


def fresh(request):
    return RedemptionRequest.objects.get(pk=request.pk)


def test_the_file_and_the_payment_wait_for_holders_without_an_account(client, approved):
    share_class, treasurer, requests = approved
    with pytest.raises(RedemptionError, match="2 holders owed money have no payout account: Ann, Bo."):
        redemption_payment_file_csv(share_class)
    with pytest.raises(
        RedemptionError, match="1 holder owed money has no payout account: Ann. Before recording"
    ):
        mark_redemption_paid(request=requests["Ann"], reference="BACS-1", by=treasurer)
    assert fresh(requests["Ann"]).state == State.APPROVED

    client.force_login(treasurer)
    paid_page = client.get(action_url("redemptionrequest", "paid", requests["Bo"].pk)).content.decode()
    assert "1 holder owed money has no payout account: Bo." in paid_page
    refused = client.get(f"/admin/redemptions/{share_class.pk}/payment-file/", follow=True)
    assert "no payout account: Ann, Bo" in refused.content.decode()

    ann = requests["Ann"].holder
    save_payout_details(holder=ann, details=PayoutDetails("A Smith", "200000", "11112222"), by=ann.user)
    resolve = action_url("redemptionrequest", "resolve-payout", requests["Bo"].pk)
    assert "Bo is owed £100.00 for 100" in client.get(resolve).content.decode()
    assert client.post(resolve, {"payout": "held", "note": "Letter returned"}).status_code == 302
    assert fresh(requests["Bo"]).payout == Payout.HELD
    assert AuditEntry.objects.filter(action="redemption.payout", summary__contains="Letter returned").exists()

    download = client.get(f"/admin/redemptions/{share_class.pk}/payment-file/")
    assert download.status_code == 200
    rows = list(csv.DictReader(io.StringIO(download.content.decode())))
    assert [(row["name"], row["sort_code"], row["account_number"], row["amount"]) for row in rows] == [
        ("A Smith", "20-00-00", "11112222", "100.00")
    ]
    assert mark_redemption_paid(request=requests["Ann"], reference="BACS-1", by=treasurer).state == State.PAID
    with pytest.raises(RedemptionError, match="held until they give a payout account"):
        mark_redemption_paid(request=requests["Bo"], reference="BACS-2", by=treasurer)
    with pytest.raises(RedemptionError, match="paid another way or held; none is waiting"):
        redemption_payment_file_csv(share_class)


def test_a_redemption_paid_another_way_is_recorded_paid_and_a_held_one_goes_back(approved):
    share_class, treasurer, requests = approved
    ann = resolve_redemption_payout(
        request=requests["Ann"], payout=Payout.PAID_OTHER_WAY, note="Cheque 100231", by=treasurer
    )
    assert mark_redemption_paid(request=ann, reference="Cheque 100231", by=treasurer).state == State.PAID

    bo = resolve_redemption_payout(
        request=requests["Bo"], payout=Payout.HELD, note="Moved away", by=treasurer
    )
    factories.PayoutAccountFactory(holder=bo.holder)
    bo = return_redemption_to_file(request=bo, by=treasurer)
    assert (bo.payout, bo.payout_note) == (Payout.BANK_FILE, "")
    assert redemption_payment_file_csv(share_class).splitlines()[1].endswith(f",100.00,REDEEM R{bo.pk}")
    with pytest.raises(RedemptionError, match="this one is paid"):
        return_redemption_to_file(request=ann, by=treasurer)


def test_a_resolution_needs_a_note_and_the_treasurers_role(approved):
    share_class, treasurer, requests = approved
    with pytest.raises(RedemptionError, match="Say how"):
        resolve_redemption_payout(request=requests["Ann"], payout=Payout.HELD, note=" ", by=treasurer)
    outsider = board_seat(society=factories.SocietyFactory(), role="treasurer")
    with pytest.raises(CapitalError, match="Only a"):
        resolve_redemption_payout(request=requests["Ann"], payout=Payout.HELD, note="x", by=outsider)
    assert fresh(requests["Ann"]).payout == Payout.BANK_FILE
