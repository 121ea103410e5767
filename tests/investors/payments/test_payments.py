"""Recording bank payments: once per bank line, the exact amount, and no money ever dropped."""

import datetime

import pytest
from django.utils import timezone

from capital.models import Offer
from investors.applications.services import cancel_application, expire_reservations
from investors.errors import PaymentError
from investors.models import Application, Payment, Refund
from investors.payments.refunds import mark_refund_paid
from tests import factories
from tests.builders import board_seat, pay, unpaid_application
from tests.factories import gbp

BANK = Application.PaymentMethod.BANK_TRANSFER
State = Application.State


def test_payment_marks_the_application_paid(open_offer):
    application = unpaid_application(offer=open_offer, shares=100)
    payment = pay(application=application, reference="BANK-1", received_on=datetime.date(2026, 11, 20))
    application.refresh_from_db()
    assert application.state == State.PAID and application.paid_at is not None
    assert (payment.amount, payment.received_on) == (gbp(100), datetime.date(2026, 11, 20))


def test_the_same_bank_line_recorded_twice_changes_nothing(open_offer):
    application = unpaid_application(offer=open_offer, shares=100)
    first = pay(application=application, reference="BANK-1")
    second = pay(application=application, reference="BANK-1")
    assert first.pk == second.pk
    assert Payment.objects.count() == 1 and not Refund.objects.exists()


def test_a_bank_line_cannot_pay_two_applications(open_offer):
    pay(application=unpaid_application(offer=open_offer, shares=100), reference="LINE-7")
    other = unpaid_application(offer=open_offer, shares=100)
    with pytest.raises(PaymentError, match="LINE-7 is already recorded for application CS-"):
        pay(application=other, reference="LINE-7")
    other.refresh_from_db()
    assert other.state == State.AWAITING_PAYMENT


def test_a_wrong_amount_is_refused_and_nothing_is_recorded(open_offer):
    application = unpaid_application(offer=open_offer, shares=100)
    with pytest.raises(PaymentError, match=r"is for £100.00, not £90.00"):
        pay(application=application, reference="BANK-1", amount=gbp(90))
    assert not Payment.objects.exists()


def test_a_second_payment_for_a_paid_application_is_owed_back(open_offer):
    application = unpaid_application(offer=open_offer, shares=100)
    pay(application=application, reference="LINE-1")
    pay(application=application, reference="LINE-2")
    refund = Refund.objects.get()
    assert (refund.amount, refund.reason) == (gbp(100), Refund.Reason.DUPLICATE)
    application.refresh_from_db()
    assert application.state == State.PAID


def test_late_payment_after_expiry_takes_the_shares_back_when_they_are_still_free(open_offer):
    application = unpaid_application(
        offer=open_offer, shares=100, now=timezone.now() - datetime.timedelta(days=8)
    )
    expire_reservations()
    pay(application=application, reference="BANK-1")
    application.refresh_from_db()
    assert application.state == State.PAID and application.holds_reservation
    assert Offer.objects.get(pk=open_offer.pk).shares_reserved == 100


def test_late_payment_after_the_shares_have_gone_is_owed_back(open_offer):
    application = unpaid_application(
        offer=open_offer, shares=2000, now=timezone.now() - datetime.timedelta(days=8)
    )
    expire_reservations()
    for _ in range(5):
        unpaid_application(offer=open_offer, shares=2000)
    pay(application=application, reference="BANK-1")
    application.refresh_from_db()
    assert application.state == State.REFUND_DUE
    refund = Refund.objects.get(application=application)
    assert (refund.amount, refund.reason) == (gbp(2000), Refund.Reason.NO_CAPACITY)
    assert Offer.objects.get(pk=open_offer.pk).shares_reserved == 10000


def test_cancelling_an_unpaid_application_releases_its_shares(open_offer):
    application = cancel_application(application=unpaid_application(offer=open_offer, shares=700))
    assert application.state == State.CANCELLED
    assert Offer.objects.get(pk=open_offer.pk).shares_reserved == 0
    with pytest.raises(PaymentError, match="is cancelled; it cannot become cancelled"):
        cancel_application(application=application)


def test_payment_after_cancellation_is_owed_back(open_offer):
    application = cancel_application(application=unpaid_application(offer=open_offer, shares=100))
    pay(application=application, reference="BANK-1")
    application.refresh_from_db()
    assert application.state == State.REFUND_DUE
    assert Refund.objects.get().reason == Refund.Reason.CANCELLED


def test_marking_the_refund_paid_closes_the_application(open_offer):
    application = cancel_application(application=unpaid_application(offer=open_offer, shares=100))
    pay(application=application, reference="BANK-1")
    refund = mark_refund_paid(refund=Refund.objects.get(), paid_reference="REFUND-1")
    application.refresh_from_db()
    assert refund.state == Refund.State.PAID and application.state == State.REFUNDED
    assert mark_refund_paid(refund=refund, paid_reference="REFUND-1").paid_reference == "REFUND-1"


def test_only_the_treasurer_or_a_director_records_payments(open_offer):
    application = unpaid_application(offer=open_offer, shares=100)
    secretary = board_seat(society=open_offer.society, role="secretary")
    treasurer = board_seat(society=open_offer.society, role="treasurer")
    with pytest.raises(Exception, match="Only a director or treasurer"):
        pay(application=application, reference="BANK-1", by=secretary)
    pay(application=application, reference="BANK-1", by=treasurer)
    assert Payment.objects.get().recorded_by == treasurer


def test_record_payment_command(open_offer):
    from django.core.management import call_command

    application = unpaid_application(offer=open_offer, shares=250)
    call_command("record_payment", application.payment_reference.lower(), "250.00", "--bank-line", "STMT-9")
    application.refresh_from_db()
    assert application.state == State.PAID
    assert Payment.objects.get().provider_reference == "STMT-9"


def test_a_lapsed_application_paid_late_cannot_break_the_per_investor_maximum(open_offer):
    holder = factories.HolderFactory()
    lapsed = unpaid_application(
        offer=open_offer, holder=holder, shares=2000, now=timezone.now() - datetime.timedelta(days=8)
    )
    expire_reservations()
    pay(application=unpaid_application(offer=open_offer, holder=holder, shares=2000), reference="LINE-NEW")
    pay(application=lapsed, reference="LINE-OLD")
    lapsed.refresh_from_db()
    assert lapsed.state == State.REFUND_DUE
    assert Refund.objects.get(application=lapsed).reason == Refund.Reason.OVER_LIMIT
    assert Offer.objects.get(pk=open_offer.pk).shares_reserved == 2000


def test_payment_for_an_application_of_an_allocated_offer_is_owed_back(community_class):
    offer = factories.OpenOfferFactory(share_class=community_class, policy=Offer.Policy.SCALE_BACK)
    application = unpaid_application(offer=offer, shares=100)
    Offer.objects.filter(pk=offer.pk).update(state=Offer.State.ALLOCATED)  # it slipped past allocation
    pay(application=application, reference="BANK-1")
    application.refresh_from_db()
    assert application.state == State.REFUND_DUE
    assert Refund.objects.get().reason == Refund.Reason.OFFER_CLOSED


def test_a_payment_arriving_after_the_close_but_before_allocation_is_taken(open_offer):
    from capital.services import close_offer

    application = unpaid_application(offer=open_offer, shares=100)
    close_offer(offer=open_offer)
    pay(application=application, reference="BANK-1")
    application.refresh_from_db()
    assert application.state == State.PAID and not Refund.objects.exists()


def test_the_investor_is_told_why_their_money_is_coming_back(
    open_offer, mailoutbox, django_capture_on_commit_callbacks
):
    application = cancel_application(application=unpaid_application(offer=open_offer, shares=120))
    with django_capture_on_commit_callbacks(execute=True):
        pay(application=application, reference="BANK-1")
    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == [application.holder.email]
    assert f"Your refund of £120.00 ({application.payment_reference})" == message.subject
    assert "Why: The application had been cancelled." in message.body
    assert "by bank transfer" in message.body
