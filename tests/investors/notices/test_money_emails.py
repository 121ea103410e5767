"""The investor never wonders what happened to their money: an email, in plain text and in the
society's letterhead, when they apply, two days before a reservation lapses, when it lapses,
when the money arrives and when a refund is sent — each sent once the decision is saved."""

import datetime
import io

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from capital.models import AuditEntry
from investors.applications.services import expire_reservations, remind_lapsing_reservations
from investors.errors import PaymentError
from investors.models import Application, Refund
from investors.payments.refunds import mark_refund_paid, owe_back
from tests.builders import pay, unpaid_application


def html_of(message) -> str:
    [(html, kind)] = message.alternatives
    assert kind == "text/html"
    return html


def test_applying_by_bank_emails_the_reference_amount_bank_details_and_pay_by_date(
    open_offer, django_capture_on_commit_callbacks
):
    society = open_offer.society
    society.bank_account_name, society.bank_sort_code, society.bank_account_number = (
        "Valley Energy",
        "601234",
        "12345678",
    )
    society.save()
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        application = unpaid_application(offer=open_offer, shares=250)
        assert mail.outbox == [], "nothing is sent before the application is saved"
    [message] = mail.outbox
    assert message.to == [application.holder.email]
    assert application.payment_reference in message.subject
    pay_by = timezone.localtime(application.reserved_until).strftime("%-d %B %Y, %H:%M")
    for fact in (
        application.payment_reference,
        "£250.00",
        "Sort code: 601234",
        "Account number: 12345678",
        pay_by,
    ):
        assert fact in message.body, fact
    html = html_of(message)
    assert society.name in html and application.payment_reference in html, "the letterhead names the society"


def test_an_application_that_fails_sends_no_receipt(open_offer, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(PaymentError):
        unpaid_application(offer=open_offer, shares=999_999)
    assert mail.outbox == []


def test_a_reminder_goes_two_days_before_the_reservation_lapses_and_only_once(
    open_offer, django_capture_on_commit_callbacks
):
    application = unpaid_application(offer=open_offer, shares=100)
    later = unpaid_application(offer=open_offer, shares=100)
    Application.objects.filter(pk=application.pk).update(
        reserved_until=timezone.now() + datetime.timedelta(days=1, hours=20)
    )
    Application.objects.filter(pk=later.pk).update(reserved_until=timezone.now() + datetime.timedelta(days=5))
    with django_capture_on_commit_callbacks(execute=True):
        assert remind_lapsing_reservations() == 1
        call_command("remind_reservations", stdout=io.StringIO())
    [message] = mail.outbox
    assert message.to == [application.holder.email] and "Reminder" in message.subject
    assert "£100.00" in message.body and application.payment_reference in message.body
    assert AuditEntry.objects.filter(action="application.reminded").count() == 1


def test_a_lapsed_reservation_is_explained(open_offer, django_capture_on_commit_callbacks):
    application = unpaid_application(offer=open_offer, shares=100)
    Application.objects.filter(pk=application.pk).update(
        reserved_until=timezone.now() - datetime.timedelta(minutes=1)
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert expire_reservations() == 1
    [message] = mail.outbox
    assert "lapsed" in message.subject
    assert (
        "Why: no payment had arrived by" in message.body and "Nothing has been taken from you" in message.body
    )


def test_payment_received_and_a_refund_sent_are_each_emailed(open_offer, django_capture_on_commit_callbacks):
    application = unpaid_application(offer=open_offer, shares=100)
    with django_capture_on_commit_callbacks(execute=True):
        pay(application=application)
    [received] = mail.outbox
    assert received.subject == f"Payment received for {application.payment_reference}"
    assert "received your payment of £100.00" in received.body

    application.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        refund = owe_back(
            application=application, payment=None, amount=application.amount, reason=Refund.Reason.CANCELLED
        )
    with django_capture_on_commit_callbacks(execute=True):
        mark_refund_paid(refund=refund, paid_reference="BACS-991")
        mark_refund_paid(refund=refund, paid_reference="BACS-991")  # again: nothing new
    sent = [message for message in mail.outbox if "has been sent" in message.subject]
    assert len(sent) == 1
    assert "reference BACS-991" in sent[0].body
