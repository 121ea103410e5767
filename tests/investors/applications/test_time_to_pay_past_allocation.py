"""An investor told they have until a date to pay keeps that time when the board allocates
sooner: a first-come application whose reservation runs past the allocation keeps its shares
set aside, and they are issued (with a certificate) when the money comes, or released when the
time runs out. An application whose time had already run out is cancelled, and its investor told."""

import datetime

import pytest
from django.core import mail
from django.utils import timezone

from capital.models import Offer
from capital.services import close_offer
from investors.applications.allocation import allocate_offer, preview_allocation
from investors.applications.cancellation import cancel_application_for_reason
from investors.applications.services import expire_reservations
from investors.errors import PaymentError
from investors.models import Application, Refund
from investors.payments.bank_import import import_bank_statement
from investors.payments.bank_lines import match_bank_line
from shares.models import Certificate, LedgerEntry
from shares.services.verification import verify_register
from tests.builders import board_seat, paid_application, unpaid_application

State = Application.State


def issued_to(application) -> int:
    return sum(
        entry.shares
        for entry in LedgerEntry.objects.filter(holder=application.holder, kind=LedgerEntry.Kind.ISSUE)
    )


def bank_line_for(application, amount=None):
    amount = amount or application.amount.amount
    text = (
        f"Date,Amount,Reference\n{timezone.localdate():%Y-%m-%d},{amount},{application.payment_reference}\n"
    )
    return import_bank_statement(society=application.offer.society, text=text)


@pytest.fixture
def allocated_around_one_unpaid(open_offer, django_capture_on_commit_callbacks):
    """1,000 shares paid (the minimum target), and 50 applied for today, unpaid, when the board
    allocates: the 50 are set aside."""
    paid_application(offer=open_offer, shares=600)
    paid_application(offer=open_offer, shares=400)
    unpaid = unpaid_application(offer=open_offer, shares=50)
    assert unpaid.reserved_until > timezone.now() + datetime.timedelta(days=6)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        result = allocate_offer(offer=close_offer(offer=open_offer))
    unpaid.refresh_from_db()
    return result, unpaid


def test_an_unpaid_application_with_time_left_keeps_its_shares_set_aside_and_its_investor_is_not_cancelled(
    allocated_around_one_unpaid,
):
    result, unpaid = allocated_around_one_unpaid
    offer = Offer.objects.get(pk=unpaid.offer_id)
    assert (unpaid.state, unpaid.holds_reservation, issued_to(unpaid)) == (State.AWAITING_PAYMENT, True, 0)
    assert (offer.state, offer.shares_allocated, offer.shares_reserved) == (Offer.State.ALLOCATED, 1000, 1050)
    assert result.unpaid_cancelled == 0 and result.still_to_pay == [unpaid]
    assert (
        "1 unpaid application may still be paid" in result.summary()
        and "50 shares set aside" in result.summary()
    )
    assert not [m for m in mail.outbox if m.to == [unpaid.holder.email]]


def test_its_money_arriving_in_time_issues_its_shares_with_a_certificate(
    allocated_around_one_unpaid, django_capture_on_commit_callbacks
):
    _, unpaid = allocated_around_one_unpaid
    with django_capture_on_commit_callbacks(execute=True):
        bank_line_for(unpaid)

    unpaid.refresh_from_db()
    offer = Offer.objects.get(pk=unpaid.offer_id)
    assert (unpaid.state, unpaid.shares_allocated, issued_to(unpaid)) == (State.ALLOCATED, 50, 50)
    # A first-come offer's reserved count includes what it allocated: nothing more is free.
    assert (offer.shares_allocated, offer.shares_reserved) == (1050, 1050)
    assert Certificate.objects.get(ledger_entry=unpaid.ledger_entry).shares == 50
    [certificate] = [m for m in mail.outbox if m.to == [unpaid.holder.email] and "certificate" in m.subject]
    assert certificate.attachments[0][1].startswith(b"%PDF")
    assert not Refund.objects.exists()
    assert verify_register(offer.society).ok


def test_when_its_time_runs_out_its_shares_are_released_and_later_money_goes_back(
    allocated_around_one_unpaid, django_capture_on_commit_callbacks
):
    _, unpaid = allocated_around_one_unpaid
    with django_capture_on_commit_callbacks(execute=True):
        assert expire_reservations(now=unpaid.reserved_until + datetime.timedelta(seconds=1)) == 1

    unpaid.refresh_from_db()
    offer = Offer.objects.get(pk=unpaid.offer_id)
    assert (unpaid.state, unpaid.holds_reservation) == (State.EXPIRED, False)
    assert (offer.shares_allocated, offer.shares_reserved) == (1000, 1000)
    [lapsed] = [m for m in mail.outbox if m.to == [unpaid.holder.email]]
    assert "has lapsed" in lapsed.subject

    with django_capture_on_commit_callbacks(execute=True):
        bank_line_for(unpaid)
    unpaid.refresh_from_db()
    assert issued_to(unpaid) == 0
    assert Refund.objects.get(application=unpaid).reason == Refund.Reason.OFFER_CLOSED


def test_a_short_payment_of_one_that_lapses_after_the_allocation_goes_on_its_refund_list(
    allocated_around_one_unpaid, django_capture_on_commit_callbacks
):
    _, unpaid = allocated_around_one_unpaid
    line = bank_line_for(unpaid, amount="20.00").new_lines[0]
    match_bank_line(
        line=line, application=unpaid, by=board_seat(society=unpaid.offer.society, role="treasurer")
    )
    with django_capture_on_commit_callbacks(execute=True):
        expire_reservations(now=unpaid.reserved_until + datetime.timedelta(seconds=1))

    line.refresh_from_db()
    assert line.status == line.Status.TO_REFUND and "lapsed unpaid after the allocation" in line.note
    assert Refund.objects.get(application=unpaid).amount.amount == 20


def test_an_application_whose_time_had_run_out_is_cancelled_and_its_investor_told(
    open_offer, django_capture_on_commit_callbacks
):
    paid_application(offer=open_offer, shares=1000)
    late = unpaid_application(offer=open_offer, shares=50)
    Application.objects.filter(pk=late.pk).update(reserved_until=timezone.now() - datetime.timedelta(hours=1))
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        result = allocate_offer(offer=close_offer(offer=open_offer))

    late.refresh_from_db()
    assert (late.state, result.unpaid_cancelled, result.still_to_pay) == (State.CANCELLED, 1, [])
    assert Offer.objects.get(pk=open_offer.pk).shares_reserved == 1000
    [told] = [m for m in mail.outbox if m.to == [late.holder.email]]
    assert "has been cancelled" in told.subject and "no payment had arrived by" in told.body


def test_the_board_cannot_fail_an_offer_that_investors_with_time_left_could_still_bring_to_its_minimum(
    open_offer,
):
    paid = paid_application(offer=open_offer, shares=900)
    waiting = unpaid_application(offer=open_offer, shares=200)
    offer = close_offer(offer=open_offer)
    preview = preview_allocation(offer)
    assert "could bring the offer to it" in preview[0] and "Nothing is allocated yet" in preview[0]

    with pytest.raises(PaymentError, match="could bring the offer to it"):
        allocate_offer(offer=offer)

    offer.refresh_from_db()
    assert (
        offer.state == Offer.State.CLOSED and not LedgerEntry.objects.filter(society=offer.society).exists()
    )
    assert Application.objects.get(pk=paid.pk).state == State.PAID
    assert Application.objects.get(pk=waiting.pk).state == State.AWAITING_PAYMENT


def test_an_offer_that_cannot_reach_its_minimum_even_if_everyone_pays_fails_and_cancels_them_all(
    open_offer, django_capture_on_commit_callbacks
):
    paid_application(offer=open_offer, shares=500)
    waiting = unpaid_application(offer=open_offer, shares=100)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        result = allocate_offer(offer=close_offer(offer=open_offer))

    waiting.refresh_from_db()
    assert result.failed and waiting.state == State.CANCELLED
    [told] = [m for m in mail.outbox if m.to == [waiting.holder.email]]
    assert "did not reach its minimum target" in told.body and "Nothing has been taken" in told.body


def test_a_director_may_still_cancel_it_after_the_allocation_and_its_shares_are_released(
    allocated_around_one_unpaid, django_capture_on_commit_callbacks
):
    _, unpaid = allocated_around_one_unpaid
    director = board_seat(society=unpaid.offer.society, role="director")
    with django_capture_on_commit_callbacks(execute=True):
        cancel_application_for_reason(application=unpaid, by=director, reason="Asked us to, by phone.")

    unpaid.refresh_from_db()
    assert (unpaid.state, unpaid.holds_reservation) == (State.CANCELLED, False)
    assert Offer.objects.get(pk=unpaid.offer_id).shares_reserved == 1000
    [told] = [m for m in mail.outbox if m.to == [unpaid.holder.email]]
    assert "Asked us to, by phone." in told.body


def test_what_an_application_that_lapsed_before_the_allocation_was_sent_short_goes_back_then(
    open_offer, django_capture_on_commit_callbacks
):
    paid_application(offer=open_offer, shares=1000)
    lapsed = unpaid_application(offer=open_offer, shares=50)
    line = bank_line_for(lapsed, amount="20.00").new_lines[0]
    match_bank_line(
        line=line, application=lapsed, by=board_seat(society=open_offer.society, role="treasurer")
    )
    expire_reservations(now=lapsed.reserved_until + datetime.timedelta(seconds=1))
    line.refresh_from_db()
    assert line.status == line.Status.SHORT  # the rest may still come while the offer runs

    with django_capture_on_commit_callbacks(execute=True):
        result = allocate_offer(offer=close_offer(offer=open_offer))

    line.refresh_from_db()
    assert line.status == line.Status.TO_REFUND and "lapsed unpaid before allocation" in line.note
    [refund] = result.refunds
    assert (refund.application_id, refund.amount.amount) == (lapsed.pk, 20)
