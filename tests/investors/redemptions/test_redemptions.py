"""The redemption fund: the society sets money aside; holders past the class's minimum holding
period ask; the queue is served first come first served at par (or the class's price) within
the fund and what the society can afford; a director approves; the register records a
redemption; the treasurer pays."""

import datetime
from decimal import Decimal as D

import pytest
from django.core import mail
from django.utils import timezone

from capital.decisions import Kind
from capital.errors import CapitalError
from investors.errors import RedemptionError, TransferError
from investors.models import RedemptionFund, RedemptionFundMovement, RedemptionRequest
from investors.redemptions.exports import redemption_payment_file_csv
from investors.redemptions.services import (
    approve_redemptions,
    cancel_redemption,
    mark_redemption_paid,
    plan_redemptions,
    redeemable_now,
    refuse_redemption,
    release,
    request_redemption,
    set_aside,
)
from investors.transfers.services import request_transfer
from shares.models import Certificate, Holding, LedgerEntry
from shares.services.verification import verify_register
from tests import factories
from tests.builders import board_seat, issue
from tests.factories import gbp

State = RedemptionRequest.State
TODAY = timezone.localdate()
FOUR_YEARS_AGO = TODAY.replace(year=TODAY.year - 4)
LAST_YEAR = TODAY.replace(year=TODAY.year - 1)
LONG_AGO = timezone.now() - datetime.timedelta(days=30)


@pytest.fixture
def redeemable(investor_class):
    """Investor shares redeemable at par after three years."""
    investor_class.redemption_minimum_holding_years = 3
    investor_class.save()
    return investor_class


@pytest.fixture
def director(redeemable):
    return board_seat(society=redeemable.society, role="director")


def holder_of(share_class, shares, on=FOUR_YEARS_AGO, **fields):
    holder = factories.HolderFactory(user=factories.UserFactory(), **fields)
    issue(holder=holder, share_class=share_class, shares=shares, on=on)
    return holder


def ask(share_class, holder, shares, when=LONG_AGO):
    return request_redemption(holder=holder, share_class=share_class, shares=shares, by=holder.user, now=when)


def test_only_shares_past_the_minimum_holding_period_can_be_asked_for(redeemable):
    holder = holder_of(redeemable, 300)
    issue(holder=holder, share_class=redeemable, shares=200, on=LAST_YEAR)
    assert redeemable_now(holder, redeemable) == 300
    with pytest.raises(RedemptionError, match="held 3 years; you can ask for at most 300"):
        ask(redeemable, holder, 301)
    request = ask(redeemable, holder, 300)
    assert (request.shares, request.price_per_share, request.amount) == (300, gbp(1), gbp(300))
    assert redeemable_now(holder, redeemable) == 0, "the shares asked for are spoken for"
    with pytest.raises(TransferError, match=r"300 of them already spoken for \(300 asked to be redeemed\)"):
        request_transfer(
            holder=holder,
            share_class=redeemable,
            shares=201,
            price=0,
            receiver_name="X",
            receiver_email="x@example.org",
            by=holder.user,
        )


def test_a_transfer_out_takes_the_oldest_shares_first(redeemable):
    holder = holder_of(redeemable, 300)
    issue(holder=holder, share_class=redeemable, shares=200, on=LAST_YEAR)
    from shares.services.register import transfer_shares

    transfer_shares(
        society=redeemable.society,
        holder=holder,
        to=factories.HolderFactory(),
        share_class=redeemable,
        shares=250,
        effective_date=LAST_YEAR + datetime.timedelta(days=1),
    )
    assert redeemable_now(holder, redeemable) == 50


@pytest.mark.parametrize("kind", ["not redeemable", "community"])
def test_classes_that_do_not_redeem_on_request_refuse(investor_class, community_class, kind):
    share_class = investor_class if kind == "not redeemable" else community_class
    holder = holder_of(share_class, 10)
    with pytest.raises(RedemptionError, match="does not redeem"):
        ask(share_class, holder, 10)


def test_the_board_sets_money_aside_and_releases_it_and_each_change_is_a_decision(
    redeemable, director, decisions_heard
):
    heard = decisions_heard
    set_aside(share_class=redeemable, amount=gbp(1000), by=director, note="from 2025's surplus")
    fund = release(share_class=redeemable, amount=gbp(250), by=director)
    assert fund.balance == gbp(750)
    assert [(m.kind, m.amount, m.balance_after) for m in fund.movements.all()] == [
        ("set_aside", gbp(1000), gbp(1000)),
        ("released", gbp(250), gbp(750)),
    ]
    assert [decision.kind for decision in heard] == [Kind.REDEMPTION_FUND_CHANGED] * 2
    assert heard[0].summary == (
        "£1,000.00 set aside to redeem Investor shares; the fund holds £1,000.00. from 2025's surplus"
    )
    with pytest.raises(RedemptionError, match="holds £750.00; no more than that"):
        release(share_class=redeemable, amount=gbp(751), by=director)
    with pytest.raises(CapitalError, match="Only a director"):
        set_aside(
            share_class=redeemable, amount=gbp(1), by=board_seat(society=redeemable.society, role="treasurer")
        )


def test_the_queue_is_served_first_come_within_the_fund_and_the_budget(redeemable, director):
    first, second, third = (holder_of(redeemable, 1000) for _ in range(3))
    ask(redeemable, first, 300, when=LONG_AGO)
    ask(redeemable, second, 600, when=LONG_AGO + datetime.timedelta(hours=1))
    ask(redeemable, third, 100, when=LONG_AGO + datetime.timedelta(hours=2))
    assert "would pass what the fund holds (£0.00 left)" in plan_redemptions(redeemable).stopped

    set_aside(share_class=redeemable, amount=gbp(950), by=director)
    plan = plan_redemptions(redeemable)
    assert [request.holder for request in plan.approvable] == [first, second]
    assert "would pass what the fund holds (£50.00 left)" in plan.stopped, "the third never overtakes"
    plan = plan_redemptions(redeemable, budget=gbp(500))
    assert [request.holder for request in plan.approvable] == [first]
    assert "would pass the £500.00 the society can afford" in plan.stopped


def test_a_director_approves_the_register_records_redemptions_and_the_fund_pays(
    redeemable, director, django_capture_on_commit_callbacks
):
    redeemable.redemption_price = gbp("1.10")
    redeemable.save()
    holder = holder_of(redeemable, 500)
    request = ask(redeemable, holder, 200)
    set_aside(share_class=redeemable, amount=gbp(1000), by=director)

    with django_capture_on_commit_callbacks(execute=True):
        plan = approve_redemptions(share_class=redeemable, by=director)

    request.refresh_from_db()
    assert plan.total == gbp(220) and request.state == State.APPROVED and request.amount == gbp(220)
    entry = request.ledger_entry
    assert (entry.kind, entry.shares, entry.amount) == (LedgerEntry.Kind.REDEMPTION, 200, gbp(200))
    assert Holding.objects.get(holder=holder).shares == 300
    assert [c.shares for c in Certificate.objects.filter(holder=holder, state=Certificate.State.VALID)] == [
        300
    ]
    fund = RedemptionFund.objects.get()
    assert fund.balance == gbp(780)
    assert RedemptionFundMovement.objects.get(kind="redemption").redemption == request
    assert verify_register(redeemable.society).ok
    assert mail.outbox[-1].to == [holder.email] and "£220.00 will be paid to you" in mail.outbox[-1].body

    factories.PayoutAccountFactory(holder=holder)
    rows = redemption_payment_file_csv(redeemable).splitlines()
    assert rows[1].endswith(f",12-34-56,12345678,,220.00,REDEEM R{request.pk}")
    treasurer = board_seat(society=redeemable.society, role="treasurer")
    with pytest.raises(RedemptionError, match="reference"):
        mark_redemption_paid(request=request, reference="", by=treasurer)
    mark_redemption_paid(request=request, reference="BACS-7", by=treasurer)
    request.refresh_from_db()
    assert request.state == State.PAID
    with pytest.raises(RedemptionError, match="No approved redemption"):
        redemption_payment_file_csv(redeemable)


def test_the_database_never_lets_the_fund_go_below_nothing(redeemable, director):
    from django.db import IntegrityError, transaction

    fund = set_aside(share_class=redeemable, amount=gbp(10), by=director)
    with pytest.raises(IntegrityError), transaction.atomic():
        RedemptionFund.objects.filter(pk=fund.pk).update(balance=D("-0.01"))


def test_refusing_needs_a_reason_and_cancelling_is_the_holders_own(redeemable, director):
    holder = holder_of(redeemable, 100)
    request = ask(redeemable, holder, 50)
    with pytest.raises(RedemptionError, match="Say why"):
        refuse_redemption(request=request, reason="", by=director)
    assert refuse_redemption(request=request, reason="cash is short", by=director).state == State.REFUSED
    other = ask(redeemable, holder, 50)
    with pytest.raises(RedemptionError, match="your own"):
        cancel_redemption(request=other, by=factories.UserFactory())
    assert cancel_redemption(request=other, by=holder.user).state == State.CANCELLED


def test_a_holder_asks_on_their_page_and_the_board_approves_in_the_admin(client, redeemable, director):
    holder = holder_of(redeemable, 100, name="Ada Lovelace")
    url = f"/account/redemptions/{redeemable.pk}/"
    client.force_login(factories.UserFactory())
    assert client.get(url).status_code == 404
    client.force_login(holder.user)
    assert "You can ask for up to 100 of them now" in client.get(url).content.decode()
    assert client.post(url, {"shares": "150"}).status_code == 200
    assert client.post(url, {"shares": "60"}).status_code == 302
    assert RedemptionRequest.objects.get().shares == 60

    client.force_login(director)
    fund_url = f"/admin/shareclass/action/set-aside-for-redemptions/{redeemable.pk}/"
    assert client.post(fund_url, {"amount": "100", "note": ""}).status_code == 302
    approve_url = f"/admin/shareclass/action/approve-redemptions/{redeemable.pk}/"
    assert "Ada Lovelace: 60 shares at £1.00, £60.00" in client.get(approve_url).content.decode()
    assert client.post(approve_url, {"budget": ""}).status_code == 302
    assert Holding.objects.get(holder=holder).shares == 40
    inspect = client.get(f"/admin/shareclass/inspect/{redeemable.pk}/").content.decode()
    assert f"/admin/redemptions/{redeemable.pk}/payment-file/" in inspect

    client.force_login(board_seat(society=factories.SocietyFactory(), role="director"))
    assert client.get(approve_url).status_code == 404
    assert client.get(f"/admin/redemptions/{redeemable.pk}/payment-file/").status_code == 404
