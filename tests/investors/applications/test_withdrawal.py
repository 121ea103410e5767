"""An investor withdraws their own unpaid application, from their dashboard or the application's
page: a confirmation page that changes nothing, then a POST that cancels it, gives its shares
back to the offer, releases any card hold, is audited and emailed. Anyone else's is not found;
a paid, allocated, cancelled or closed one is refused and nothing changes."""

import datetime

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from capital.models import AuditEntry, Offer
from capital.services import close_offer
from investors.applications.allocation import allocate_offer
from investors.applications.services import expire_reservations
from investors.applications.withdrawal import withdraw_application
from investors.errors import PaymentError
from investors.models import Application, BankStatementLine, CardPayment, Refund
from investors.payments.bank_import import import_bank_statement
from investors.payments.bank_lines import match_bank_line
from tests import factories
from tests.builders import board_seat, pay, pay_with_card, unpaid_application
from tests.factories import gbp
from tests.stripe_server import signed_event

State = Application.State
BUTTON = "Withdraw this application"


@pytest.fixture
def investor(db):
    return factories.UserFactory(email="ada@example.org")


@pytest.fixture
def holder(investor):
    return factories.HolderFactory(user=investor, name="Ada Lovelace", email="ada@example.org")


@pytest.fixture
def signed_in(client, investor):
    client.force_login(investor)
    return client


@pytest.fixture
def small_offer(community_class):
    """First come, 500 £1 shares in all, up to 500 each."""
    return factories.OpenOfferFactory(
        share_class=community_class,
        minimum_target=gbp(100),
        maximum_target=gbp(500),
        maximum_per_investor=gbp(500),
    )


def withdraw_url(application) -> str:
    return reverse("invest:withdraw", kwargs={"reference": application.payment_reference})


def done_url(application) -> str:
    return reverse("invest:done", kwargs={"reference": application.payment_reference})


def text(response) -> str:
    return response.content.decode()


def test_the_shares_go_back_to_the_offer_and_another_investor_can_take_them(small_offer, holder, investor):
    first = unpaid_application(offer=small_offer, shares=300, holder=holder)
    mistake = unpaid_application(offer=small_offer, shares=200, holder=holder)  # the second tab
    small_offer.refresh_from_db()
    assert small_offer.shares_reserved == 500
    with pytest.raises(PaymentError):
        unpaid_application(offer=small_offer, shares=200)

    withdrawn = withdraw_application(application=mistake, by=investor)

    small_offer.refresh_from_db()
    assert (withdrawn.state, withdrawn.holds_reservation) == (State.CANCELLED, False)
    assert small_offer.shares_reserved == 300
    first.refresh_from_db()
    assert first.state == State.AWAITING_PAYMENT
    other = unpaid_application(offer=small_offer, shares=200)
    small_offer.refresh_from_db()
    assert other.state == State.AWAITING_PAYMENT and small_offer.shares_reserved == 500


def test_withdrawing_from_the_dashboard_asks_first_then_cancels_audits_and_emails(
    signed_in, open_offer, holder, investor, django_capture_on_commit_callbacks
):
    application = unpaid_application(offer=open_offer, shares=250, holder=holder)
    dashboard = text(signed_in.get(reverse("account:dashboard")))
    assert f'href="{withdraw_url(application)}">{BUTTON}</a>' in dashboard

    page = signed_in.get(withdraw_url(application))
    assert page.status_code == 200
    assert "its 250 shares go back to the offer" in text(page) and "nothing is owed for it" in text(page)
    application.refresh_from_db()
    open_offer.refresh_from_db()
    assert (application.state, open_offer.shares_reserved) == (State.AWAITING_PAYMENT, 250)
    assert not AuditEntry.objects.filter(action="application.withdrawn").exists()

    with django_capture_on_commit_callbacks(execute=True):
        response = signed_in.post(withdraw_url(application))

    assert response.status_code == 302 and response["Location"] == reverse("account:dashboard")
    application.refresh_from_db()
    open_offer.refresh_from_db()
    assert (application.state, open_offer.shares_reserved) == (State.CANCELLED, 0)
    entry = AuditEntry.objects.get(action="application.withdrawn")
    assert (entry.actor, entry.society, entry.data["application"]) == (
        investor,
        open_offer.society,
        application.pk,
    )
    assert not AuditEntry.objects.filter(action="application.cancelled").exists()
    [message] = mail.outbox
    assert message.to == [holder.email]
    assert message.subject == f"Your application {application.payment_reference} is withdrawn"
    assert "You have withdrawn your application" in message.body
    assert "Nothing is owed for it: do not send the £250.00." in message.body
    assert "it will be refunded to you" in message.body
    after = text(signed_in.get(reverse("account:dashboard")))
    assert f"Application {application.payment_reference} is withdrawn" in after
    assert BUTTON not in after


def test_the_applications_own_page_offers_the_withdrawal(signed_in, open_offer, holder):
    application = unpaid_application(offer=open_offer, shares=250, holder=holder)
    page = text(signed_in.get(done_url(application)))
    assert f'href="{withdraw_url(application)}">{BUTTON}</a>' in page


def test_the_withdrawal_needs_the_forms_csrf_token(open_offer, holder, investor):
    application = unpaid_application(offer=open_offer, shares=250, holder=holder)
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(investor)
    assert browser.post(withdraw_url(application)).status_code == 403  # CSRF failure
    application.refresh_from_db()
    assert application.state == State.AWAITING_PAYMENT


def test_another_investors_application_is_not_found(signed_in, open_offer):
    theirs = unpaid_application(
        offer=open_offer, shares=250, holder=factories.HolderFactory(user=factories.UserFactory())
    )
    assert signed_in.get(withdraw_url(theirs)).status_code == 404
    assert signed_in.post(withdraw_url(theirs)).status_code == 404
    theirs.refresh_from_db()
    assert theirs.state == State.AWAITING_PAYMENT and not mail.outbox
    with pytest.raises(PaymentError, match="Only the investor who made an application can withdraw it"):
        withdraw_application(application=theirs, by=factories.UserFactory())


def test_a_signed_out_visitor_is_sent_to_log_in(client, open_offer, holder):
    application = unpaid_application(offer=open_offer, shares=250, holder=holder)
    response = client.post(withdraw_url(application))
    assert response.status_code == 302 and response["Location"].startswith(reverse("account:login"))
    application.refresh_from_db()
    assert application.state == State.AWAITING_PAYMENT


def paid(offer, holder):
    application = unpaid_application(offer=offer, shares=250, holder=holder)
    pay(application=application)
    return application


def cancelled(offer, holder):
    application = unpaid_application(offer=offer, shares=250, holder=holder)
    withdraw_application(application=application, by=holder.user)
    return application


def allocated(offer, holder):
    application = paid(offer, holder)
    pay(application=unpaid_application(offer=offer, shares=1000))  # the offer reaches its minimum
    allocate_offer(offer=close_offer(offer=offer))
    return application


def lapsed(offer, holder):
    application = unpaid_application(offer=offer, shares=250, holder=holder)
    expire_reservations(now=application.reserved_until + datetime.timedelta(minutes=1))
    return application


def in_a_closed_offer(offer, holder):
    application = unpaid_application(offer=offer, shares=250, holder=holder)
    close_offer(offer=offer)
    return application


@pytest.mark.parametrize(
    ("make", "refusal"),
    [
        (paid, "has been paid, so it can no longer be withdrawn"),
        (allocated, "is allocated: only an unpaid application can be withdrawn"),
        (cancelled, "is cancelled: only an unpaid application can be withdrawn"),
        (lapsed, "has lapsed: its shares are already released and nothing is owed for it"),
        (in_a_closed_offer, "has closed, so Application CS-"),
    ],
)
def test_a_paid_allocated_cancelled_lapsed_or_closed_application_cannot_be_withdrawn(
    signed_in, open_offer, holder, make, refusal
):
    application = make(open_offer, holder)
    application.refresh_from_db()
    state, audit, outbox = application.state, AuditEntry.objects.count(), len(mail.outbox)
    reserved = Offer.objects.get(pk=open_offer.pk).shares_reserved
    assert BUTTON not in text(signed_in.get(reverse("account:dashboard")))
    assert BUTTON not in text(signed_in.get(done_url(application)))
    page = signed_in.get(withdraw_url(application))
    assert page.status_code == 200 and BUTTON not in text(page) and refusal in text(page)

    response = signed_in.post(withdraw_url(application))

    assert response.status_code == 409  # the application is no longer in a state to withdraw
    assert refusal in text(response) and "Nothing has been changed." in text(response)
    application.refresh_from_db()
    assert application.state == state
    assert Offer.objects.get(pk=open_offer.pk).shares_reserved == reserved
    assert (AuditEntry.objects.count(), len(mail.outbox)) == (audit, outbox)
    with pytest.raises(PaymentError, match=refusal):
        withdraw_application(application=application, by=holder.user)


def test_an_application_whose_card_is_still_to_take_cannot_be_withdrawn(open_offer, holder):
    application = unpaid_application(offer=open_offer, shares=250, holder=holder)
    Application.objects.filter(pk=application.pk).update(card_still_to_take=True)
    application.refresh_from_db()
    with pytest.raises(PaymentError, match="Shares are set aside for Application"):
        withdraw_application(application=application, by=holder.user)
    application.refresh_from_db()
    assert application.state == State.AWAITING_PAYMENT


def test_withdrawing_releases_the_hold_on_the_card_at_stripe(
    stripe_server, held_offer, holder, investor, signed_in
):
    application = unpaid_application(offer=held_offer, shares=300, holder=holder, method="card")
    assert pay_with_card(stripe_server=stripe_server, application=application).status == "authorised"
    page = text(signed_in.get(withdraw_url(application)))
    assert "the £300.00 held on your card is released" in page

    assert signed_in.post(withdraw_url(application)).status_code == 302

    card = application.card_payments.get()
    assert card.status == CardPayment.Status.RELEASED
    assert stripe_server.intent(card.intent_id)["status"] == "canceled"
    application.refresh_from_db()
    assert application.state == State.CANCELLED


def test_a_bank_payment_arriving_after_the_withdrawal_goes_on_the_refund_list(
    open_offer, holder, investor, django_capture_on_commit_callbacks
):
    application = unpaid_application(offer=open_offer, shares=250, holder=holder)
    withdraw_application(application=application, by=investor)

    with django_capture_on_commit_callbacks(execute=True):
        payment = pay(application=application, reference="BANK-LINE-7")

    application.refresh_from_db()
    assert application.state == State.REFUND_DUE
    refund = Refund.objects.get(application=application)
    assert (refund.payment, refund.amount, refund.reason, refund.state) == (
        payment,
        gbp(250),
        Refund.Reason.CANCELLED,
        Refund.State.DUE,
    )
    assert Offer.objects.get(pk=open_offer.pk).shares_reserved == 0


def test_a_card_payment_finished_after_the_withdrawal_is_owed_back_when_its_webhook_arrives(
    client, stripe_server, open_offer, holder, investor
):
    application = unpaid_application(offer=open_offer, shares=250, holder=holder, method="card")
    outcome = pay_with_card(stripe_server=stripe_server, application=application, kind="needs_authentication")
    withdraw_application(application=application, by=investor)  # the bank's page still open
    stripe_server.authenticate(outcome.client_secret, success=True)
    intent = stripe_server.intent(outcome.client_secret.split("_secret_")[0])

    payload, signature = signed_event("payment_intent.succeeded", intent)
    response = client.post(
        "/payments/stripe/webhook/", payload, content_type="application/json", HTTP_STRIPE_SIGNATURE=signature
    )

    assert response.status_code == 200 and response.json()["outcome"] == "processed"
    application.refresh_from_db()
    assert application.state == State.REFUND_DUE
    refund = Refund.objects.get(application=application)
    assert (refund.amount, refund.reason, refund.payment.provider_reference) == (
        gbp(250),
        Refund.Reason.CANCELLED,
        intent["id"],
    )


def test_money_already_sent_short_for_a_withdrawn_application_goes_on_its_refund_list(
    open_offer, holder, investor, django_capture_on_commit_callbacks
):
    application = unpaid_application(offer=open_offer, holder=holder, shares=50)
    text = f"Date,Amount,Reference\n2026-11-20,20.00,{application.payment_reference}\n"
    [line] = import_bank_statement(society=open_offer.society, text=text).new_lines
    match_bank_line(
        line=line, application=application, by=board_seat(society=open_offer.society, role="treasurer")
    )
    line.refresh_from_db()
    assert line.status == BankStatementLine.Status.SHORT

    with django_capture_on_commit_callbacks(execute=True):
        withdraw_application(application=application, by=investor)

    line.refresh_from_db()
    assert line.status == BankStatementLine.Status.TO_REFUND
    assert Refund.objects.get(application=application).amount == gbp(20)
    assert any("refund" in m.subject.lower() for m in mail.outbox if m.to == [holder.email])
