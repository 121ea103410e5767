"""Withdrawals: asked for by the holder, queued first come first served, approved by a director
within the society's rules, paid by the treasurer; the register and certificates follow."""

import datetime

import pytest
from django.utils import timezone

from capital.models import AuditEntry, SocietyRole
from investors.errors import WithdrawalError
from investors.models import WithdrawalRequest
from investors.withdrawals import services as withdrawals_service
from investors.withdrawals.services import (
    approve_withdrawals,
    cancel_withdrawal,
    mark_withdrawal_paid,
    plan_withdrawals,
    refuse_withdrawal,
    request_withdrawal,
    resume_withdrawals,
    suspend_withdrawals,
)
from shares.models import Certificate, Holding, LedgerEntry
from shares.services.register import issue_shares
from shares.services.verification import verify_register
from tests import factories
from tests.builders import board_seat
from tests.factories import gbp

State = WithdrawalRequest.State
Role = SocietyRole.Role
LONG_AGO = timezone.now() - datetime.timedelta(days=400)


@pytest.fixture
def withdrawable(community_class):
    """£1 withdrawable community shares, 30 days' notice, no waiting period."""
    community_class.withdrawable = True
    community_class.withdrawal_notice_days = 30
    community_class.save()
    return community_class


def holder_with(share_class, shares, **holder_fields):
    holder = factories.HolderFactory(user=factories.UserFactory(), **holder_fields)
    issue_shares(
        society=share_class.society,
        holder=holder,
        share_class=share_class,
        shares=shares,
        amount=share_class.nominal_value * shares,
        effective_date=datetime.date(2024, 1, 1),
    )
    return holder


def ask(share_class, holder, shares, when=LONG_AGO):
    return request_withdrawal(holder=holder, share_class=share_class, shares=shares, by=holder.user, now=when)


def test_a_request_waits_its_notice_and_keeps_its_shares_until_approved(withdrawable):
    holder = holder_with(withdrawable, 500)
    today = timezone.localdate()
    request = request_withdrawal(holder=holder, share_class=withdrawable, shares=200, by=holder.user)
    assert request.state == State.PENDING and request.amount == gbp(200)
    assert request.due_on == today + datetime.timedelta(days=30)
    assert Holding.objects.get(holder=holder).shares == 500
    assert AuditEntry.objects.filter(action="withdrawal.requested").count() == 1


def test_the_waiting_period_pushes_the_due_date(withdrawable):
    withdrawable.withdrawals_open_from = timezone.localdate() + datetime.timedelta(days=1000)
    withdrawable.save()
    request = ask(withdrawable, holder_with(withdrawable, 50), 50, when=timezone.now())
    assert request.due_on == withdrawable.withdrawals_open_from


@pytest.mark.parametrize(
    ("shares", "message"),
    [(501, "at most 500"), (0, "at least one share")],
)
def test_a_holder_cannot_ask_for_more_than_they_hold(withdrawable, shares, message):
    holder = holder_with(withdrawable, 500)
    with pytest.raises(WithdrawalError, match=message):
        ask(withdrawable, holder, shares)
    assert WithdrawalRequest.objects.count() == 0


def test_shares_already_in_the_queue_cannot_be_asked_for_twice(withdrawable):
    holder = holder_with(withdrawable, 500)
    ask(withdrawable, holder, 400)
    with pytest.raises(WithdrawalError, match="400 of them already in the withdrawal queue; .* at most 100"):
        ask(withdrawable, holder, 101)
    assert ask(withdrawable, holder, 100).shares == 100


def test_a_member_withdraws_all_or_keeps_the_membership_minimum(withdrawable):
    withdrawable.membership_minimum_shares = 50
    withdrawable.save()
    holder = holder_with(withdrawable, 100)
    with pytest.raises(WithdrawalError, match="Members keep at least 50"):
        ask(withdrawable, holder, 60)
    assert ask(withdrawable, holder, 100).shares == 100


def test_only_withdrawable_shares_and_only_your_own(investor_class, withdrawable):
    investor = holder_with(investor_class, 100)
    with pytest.raises(WithdrawalError, match="not withdrawable"):
        ask(investor_class, investor, 10)
    holder = holder_with(withdrawable, 100)
    with pytest.raises(WithdrawalError, match="your own shares"):
        request_withdrawal(holder=holder, share_class=withdrawable, shares=10, by=factories.UserFactory())


def test_the_queue_is_paid_first_come_first_served_and_stops_at_the_first_that_does_not_fit(withdrawable):
    first, second, third = (holder_with(withdrawable, 1000) for _ in range(3))
    ask(withdrawable, first, 300, when=LONG_AGO)
    ask(withdrawable, second, 600, when=LONG_AGO + datetime.timedelta(hours=1))
    ask(withdrawable, third, 100, when=LONG_AGO + datetime.timedelta(hours=2))

    plan = plan_withdrawals(withdrawable, budget=gbp(800))
    assert [request.holder for request in plan.approvable] == [first]
    assert "would pass the £800.00 available" in plan.stopped, "the third never overtakes the second"

    withdrawable.withdrawal_yearly_limit = gbp(950)
    withdrawable.save()
    plan = plan_withdrawals(withdrawable)
    assert [request.holder for request in plan.approvable] == [first, second]
    assert "financial year's limit" in plan.stopped


def test_a_request_not_yet_due_holds_up_those_behind_it(withdrawable):
    early, late = holder_with(withdrawable, 100), holder_with(withdrawable, 100)
    ask(withdrawable, early, 100, when=timezone.now())  # due in 30 days
    ask(withdrawable, late, 100, when=timezone.now() + datetime.timedelta(seconds=1))
    plan = plan_withdrawals(withdrawable)
    assert plan.approvable == [] and "not due until" in plan.stopped


def test_a_director_approves_the_queue_and_the_register_and_certificates_follow(withdrawable):
    holder = holder_with(withdrawable, 500)
    request = ask(withdrawable, holder, 200)
    director = board_seat(society=withdrawable.society, role=Role.DIRECTOR)

    with pytest.raises(Exception, match="director"):
        approve_withdrawals(
            share_class=withdrawable, by=board_seat(society=withdrawable.society, role=Role.TREASURER)
        )
    plan = approve_withdrawals(share_class=withdrawable, by=director)

    request.refresh_from_db()
    assert plan.total == gbp(200) and request.state == State.APPROVED
    assert request.ledger_entry.kind == LedgerEntry.Kind.WITHDRAWAL and request.ledger_entry.shares == 200
    assert Holding.objects.get(holder=holder).shares == 300
    valid = Certificate.objects.filter(holder=holder, state=Certificate.State.VALID)
    assert [certificate.shares for certificate in valid] == [300]
    assert verify_register(withdrawable.society).ok
    with pytest.raises(WithdrawalError, match="No withdrawal .* is due"):
        approve_withdrawals(share_class=withdrawable, by=director)

    treasurer = board_seat(society=withdrawable.society, role=Role.TREASURER)
    with pytest.raises(WithdrawalError, match="reference"):
        mark_withdrawal_paid(request=request, reference=" ", by=treasurer)
    mark_withdrawal_paid(request=request, reference="BACS-991", by=treasurer)
    request.refresh_from_db()
    assert request.state == State.PAID and request.paid_reference == "BACS-991"


def test_the_yearly_limit_counts_what_was_approved_earlier_in_the_financial_year(withdrawable):
    withdrawable.withdrawal_yearly_limit = gbp(500)
    withdrawable.save()
    director = board_seat(society=withdrawable.society, role=Role.DIRECTOR)
    ask(withdrawable, holder_with(withdrawable, 400), 400)
    approve_withdrawals(share_class=withdrawable, by=director)
    ask(withdrawable, holder_with(withdrawable, 200), 200)
    with pytest.raises(WithdrawalError, match=r"£100.00 left"):
        approve_withdrawals(share_class=withdrawable, by=director)


def test_suspended_withdrawals_wait_in_the_queue_until_resumed(withdrawable):
    director = board_seat(society=withdrawable.society, role=Role.DIRECTOR)
    holder = holder_with(withdrawable, 100)
    with pytest.raises(WithdrawalError, match="Say why"):
        suspend_withdrawals(share_class=withdrawable, reason="", by=director)
    suspend_withdrawals(share_class=withdrawable, reason="the roof needs paying for first", by=director)
    request = ask(withdrawable, holder, 100)
    with pytest.raises(WithdrawalError, match="suspended: the roof needs paying for first"):
        approve_withdrawals(share_class=withdrawable, by=director)
    request.refresh_from_db()
    assert request.state == State.PENDING and Holding.objects.get(holder=holder).shares == 100

    resume_withdrawals(share_class=withdrawable, by=director)
    approve_withdrawals(share_class=withdrawable, by=director)
    assert Holding.objects.get(holder=holder).shares == 0


def test_refusing_needs_a_reason_and_cancelling_is_the_holders_own(withdrawable):
    director = board_seat(society=withdrawable.society, role=Role.DIRECTOR)
    holder = holder_with(withdrawable, 100)
    request = ask(withdrawable, holder, 50)
    with pytest.raises(WithdrawalError, match="Say why"):
        refuse_withdrawal(request=request, reason=" ", by=director)
    refuse_withdrawal(request=request, reason="the society cannot afford it this year", by=director)
    request.refresh_from_db()
    assert request.state == State.REFUSED

    other = ask(withdrawable, holder, 50)
    with pytest.raises(WithdrawalError, match="your own"):
        cancel_withdrawal(request=other, by=factories.UserFactory())
    cancel_withdrawal(request=other, by=holder.user)
    other.refresh_from_db()
    assert other.state == State.CANCELLED
    with pytest.raises(WithdrawalError, match="cancelled by the holder; it cannot become approved"):
        other.transition_to(State.APPROVED)


def test_an_investor_asks_and_cancels_from_their_pages(client, withdrawable):
    holder = holder_with(withdrawable, 100)
    url = f"/account/withdrawals/{withdrawable.pk}/"
    assert client.get(url).status_code == 302  # to the login page
    client.force_login(factories.UserFactory())
    assert client.get(url).status_code == 404, "someone without the holding sees nothing"

    client.force_login(holder.user)
    assert "30 days' notice" in client.get(url).content.decode()
    refused = client.post(url, {"shares": "150"})
    assert "at most 100" in refused.content.decode() and WithdrawalRequest.objects.count() == 0
    assert client.post(url, {"shares": "40"}).status_code == 302
    request = WithdrawalRequest.objects.get()
    assert request.shares == 40

    client.force_login(factories.UserFactory())
    assert client.post(f"/account/withdrawals/{request.pk}/cancel/").status_code == 404
    client.force_login(holder.user)
    client.post(f"/account/withdrawals/{request.pk}/cancel/")
    request.refresh_from_db()
    assert request.state == State.CANCELLED


def test_the_board_approves_withdrawals_in_the_admin_after_reading_the_queue(client, withdrawable):
    holder = holder_with(withdrawable, 100, name="Ada Lovelace")
    ask(withdrawable, holder, 60)
    url = f"/admin/shareclass/action/approve-withdrawals/{withdrawable.pk}/"
    client.force_login(board_seat(society=factories.SocietyFactory(), role=Role.DIRECTOR))
    assert client.post(url).status_code == 404

    client.force_login(board_seat(society=withdrawable.society, role=Role.DIRECTOR))
    page = client.get(url).content.decode()
    assert "Ada Lovelace: 60 shares, £60.00" in page
    response = client.post(url, {"budget": "50"})
    assert response.status_code == 200 and "would pass the £50.00 available" in response.content.decode()
    assert Holding.objects.get(holder=holder).shares == 100
    assert client.post(url, {"budget": ""}).status_code == 302
    assert Holding.objects.get(holder=holder).shares == 40


def test_a_request_that_would_leave_less_than_the_membership_minimum_stops_the_queue(withdrawable):
    withdrawable.membership_minimum_shares = 10
    withdrawable.save()
    director = board_seat(society=withdrawable.society, role=Role.DIRECTOR)
    holder = holder_with(withdrawable, 100)
    small = ask(withdrawable, holder, 5)
    ask(withdrawable, holder, 95, when=LONG_AGO + datetime.timedelta(hours=1))  # "all that is free"
    cancel_withdrawal(request=small, by=holder.user)

    plan = plan_withdrawals(withdrawable)
    assert plan.approvable == [] and "would leave 5 shares, fewer than the 10 a member keeps" in plan.stopped
    with pytest.raises(WithdrawalError, match="fewer than the 10"):
        approve_withdrawals(share_class=withdrawable, by=director)
    assert Holding.objects.get(holder=holder).shares == 100


def test_the_yearly_limit_starts_again_with_each_financial_year(withdrawable):
    withdrawable.withdrawal_yearly_limit = gbp(500)
    withdrawable.save()
    director = board_seat(society=withdrawable.society, role=Role.DIRECTOR)
    today = timezone.localdate()
    year_start, _ = withdrawals_service._financial_year(withdrawable.society, today)
    last_year = year_start - datetime.timedelta(days=1)
    ask(withdrawable, holder_with(withdrawable, 400), 400)
    approve_withdrawals(share_class=withdrawable, by=director, on_date=last_year)
    ask(withdrawable, holder_with(withdrawable, 450), 450)
    plan = approve_withdrawals(share_class=withdrawable, by=director)
    assert plan.total == gbp(450), "last financial year's £400 does not count against this year's limit"


def test_an_edit_of_the_class_never_undoes_a_suspension(withdrawable):
    from capital.models import ShareClass
    from capital.services import save_share_class

    director = board_seat(society=withdrawable.society, role=Role.DIRECTOR)
    stale = ShareClass.objects.get(pk=withdrawable.pk)  # loaded by an edit form before the suspension
    suspend_withdrawals(share_class=withdrawable, reason="cash is short", by=director)
    stale.withdrawal_notice_days = 60
    save_share_class(share_class=stale, by=director)
    withdrawable.refresh_from_db()
    assert withdrawable.withdrawals_suspended and withdrawable.withdrawal_notice_days == 60


def test_another_society_board_finds_nothing_of_our_withdrawals_or_seats(client, withdrawable):
    request = ask(withdrawable, holder_with(withdrawable, 100), 40)
    our_seat = SocietyRole.objects.get(user=board_seat(society=withdrawable.society, role=Role.SECRETARY))
    client.force_login(board_seat(society=factories.SocietyFactory(), role=Role.DIRECTOR))
    for url in (
        f"/admin/withdrawalrequest/inspect/{request.pk}/",
        f"/admin/withdrawalrequest/action/refuse/{request.pk}/",
        f"/admin/societyrole/action/remove/{our_seat.pk}/",
        f"/admin/shareclass/action/suspend-withdrawals/{withdrawable.pk}/",
    ):
        assert client.get(url).status_code == 404, url
        assert client.post(url, {"reason": "no"}).status_code == 404, url
    listing = client.get("/admin/withdrawalrequest/").content.decode()
    assert request.holder.name not in listing
    request.refresh_from_db()
    assert request.state == State.PENDING and SocietyRole.objects.filter(pk=our_seat.pk).exists()


def test_the_holder_is_emailed_the_boards_decision_once_it_is_saved(
    withdrawable, django_capture_on_commit_callbacks
):
    from django.core import mail

    director = board_seat(society=withdrawable.society, role=Role.DIRECTOR)
    approved_holder, refused_holder = holder_with(withdrawable, 100), holder_with(withdrawable, 100)
    ask(withdrawable, approved_holder, 60)
    refused = ask(withdrawable, refused_holder, 30, when=timezone.now())  # not due yet
    with django_capture_on_commit_callbacks(execute=True):
        approve_withdrawals(share_class=withdrawable, by=director)
        refuse_withdrawal(request=refused, reason="the roof comes first this year", by=director)
    approval, refusal = mail.outbox
    assert approval.to == [approved_holder.email] and "is approved" in approval.subject
    assert "£60.00 will be paid to you" in approval.body
    assert refusal.to == [refused_holder.email] and "was refused" in refusal.subject
    assert "Why: the roof comes first this year" in refusal.body

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(WithdrawalError):
        approve_withdrawals(share_class=withdrawable, by=director)  # nothing due: refused, nothing sent
    assert mail.outbox == []


def test_the_withdrawal_page_and_other_personal_pages_are_never_cached(client, withdrawable):
    holder = holder_with(withdrawable, 100)
    client.force_login(holder.user)
    for url in (f"/account/withdrawals/{withdrawable.pk}/", "/account/"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "no-store" in response["Cache-Control"], url
    client.logout()
    assert "no-store" not in client.get("/account/withdrawals/1/").get("Cache-Control", ""), (
        "a redirect to the login page carries nothing personal"
    )
