"""Card payments against localstripe: charged server-side, 3-D Secure, declines, refunds."""

import datetime

import pytest
from django.utils import timezone

from capital.models import Offer
from capital.services import close_offer
from investors.applications.allocation import allocate_offer
from investors.applications.services import apply_for_shares, expire_reservations
from investors.errors import PaymentError
from investors.models import Application, CardPayment, Payment, Refund
from investors.payments import gateway
from investors.payments.cards import check_card_payment, pay_by_card, start_card_payment
from investors.payments.services import confirm_payment
from tests import factories
from tests.builders import pay_with_card, saved_card, unpaid_application
from tests.factories import gbp

State = Application.State


def test_a_good_card_pays_the_application_for_exactly_its_amount(stripe_server, open_offer):
    application = unpaid_application(offer=open_offer, shares=250, method="card")
    outcome = pay_with_card(stripe_server=stripe_server, application=application)

    assert outcome.status == "succeeded"
    application.refresh_from_db()
    assert application.state == State.PAID
    card = CardPayment.objects.get(application=application)
    intent = stripe_server.intent(card.intent_id)
    assert (intent["amount"], intent["currency"], intent["status"]) == (25000, "gbp", "succeeded")
    assert intent["metadata"]["application_id"] == str(application.pk)
    payment = Payment.objects.get(application=application)
    assert (payment.method, payment.provider_reference, payment.amount) == ("card", card.intent_id, gbp(250))


def test_paying_twice_never_charges_twice(stripe_server, open_offer):
    application = unpaid_application(offer=open_offer, shares=250, method="card")
    payment_method, setup_intent = saved_card(stripe_server=stripe_server, application=application)
    pay_by_card(application=application, payment_method_id=payment_method, setup_intent_id=setup_intent)
    with pytest.raises(PaymentError, match="is paid; it needs no payment"):
        pay_by_card(application=application, payment_method_id=payment_method, setup_intent_id=setup_intent)
    assert len(stripe_server.request("GET", "/v1/payment_intents")["data"]) == 1
    assert Payment.objects.count() == 1


def test_a_declined_card_leaves_the_application_payable_with_a_clear_message(stripe_server, open_offer):
    application = unpaid_application(offer=open_offer, shares=250, method="card")
    outcome = pay_with_card(stripe_server=stripe_server, application=application, kind="declined")

    assert outcome.status == "declined"
    assert "Your card was declined." in outcome.message and "another card" in outcome.message
    application.refresh_from_db()
    assert application.state == State.AWAITING_PAYMENT
    assert open_offer.society.audit_entries.filter(action="card.declined").exists()
    assert pay_with_card(stripe_server=stripe_server, application=application).status == "succeeded"
    application.refresh_from_db()
    assert application.state == State.PAID


def test_a_card_needing_authentication_is_finished_in_the_browser(stripe_server, open_offer):
    application = unpaid_application(offer=open_offer, shares=250, method="card")
    outcome = pay_with_card(stripe_server=stripe_server, application=application, kind="needs_authentication")
    assert outcome.status == "requires_action" and outcome.client_secret
    assert CardPayment.objects.get().status == CardPayment.Status.REQUIRES_ACTION
    application.refresh_from_db()
    assert application.state == State.AWAITING_PAYMENT

    stripe_server.authenticate(outcome.client_secret, success=True)
    assert check_card_payment(application=application).status == "succeeded"
    application.refresh_from_db()
    assert application.state == State.PAID


def test_failed_authentication_leaves_the_application_payable(stripe_server, open_offer):
    application = unpaid_application(offer=open_offer, shares=250, method="card")
    outcome = pay_with_card(stripe_server=stripe_server, application=application, kind="needs_authentication")
    stripe_server.authenticate(outcome.client_secret, success=False)
    assert check_card_payment(application=application).status == "declined"
    application.refresh_from_db()
    assert application.state == State.AWAITING_PAYMENT
    assert CardPayment.objects.get().status == CardPayment.Status.FAILED


def test_a_card_payment_that_lands_after_the_shares_have_gone_is_refunded_through_stripe(
    stripe_server, open_offer, django_capture_on_commit_callbacks
):
    application = unpaid_application(
        offer=open_offer, shares=2000, now=timezone.now() - datetime.timedelta(days=8), method="card"
    )
    Application.objects.filter(pk=application.pk).update(
        reserved_until=timezone.now() + datetime.timedelta(hours=1)
    )
    outcome = pay_with_card(stripe_server=stripe_server, application=application, kind="needs_authentication")
    Application.objects.filter(pk=application.pk).update(
        reserved_until=timezone.now() - datetime.timedelta(hours=1)
    )
    expire_reservations()
    for _ in range(5):
        apply_for_shares(
            offer=open_offer, holder=factories.HolderFactory(), payment_method="bank_transfer", shares=2000
        )

    stripe_server.authenticate(outcome.client_secret, success=True)
    with django_capture_on_commit_callbacks(execute=True):
        check_card_payment(application=application)

    application.refresh_from_db()
    assert application.state == State.REFUNDED
    refund = Refund.objects.get(application=application)
    assert (refund.reason, refund.state, refund.amount) == (
        Refund.Reason.NO_CAPACITY,
        Refund.State.PAID,
        gbp(2000),
    )
    assert refund.paid_reference.startswith("re_")
    charge = stripe_server.intent(CardPayment.objects.get().intent_id)["latest_charge"]
    assert charge["amount_refunded"] == 200000


def test_a_failed_offer_refunds_cards_through_stripe_and_lists_bank_payments(
    stripe_server, open_offer, django_capture_on_commit_callbacks
):
    by_card = unpaid_application(offer=open_offer, shares=300, method="card")
    pay_with_card(stripe_server=stripe_server, application=by_card)
    by_bank = apply_for_shares(
        offer=open_offer, holder=factories.HolderFactory(), payment_method="bank_transfer", shares=200
    )
    confirm_payment(application=by_bank, amount=gbp(200), method="bank_transfer", provider_reference="LINE-1")

    with django_capture_on_commit_callbacks(execute=True):
        result = allocate_offer(offer=close_offer(offer=open_offer))

    assert result.failed
    card_refund = Refund.objects.get(application=by_card)
    assert card_refund.state == Refund.State.PAID and card_refund.paid_reference.startswith("re_")
    bank_refund = Refund.objects.get(application=by_bank)
    assert bank_refund.state == Refund.State.DUE and bank_refund.payment.provider_reference == "LINE-1"


def test_a_scaled_back_card_payment_is_partly_refunded(
    stripe_server, community_class, django_capture_on_commit_callbacks
):
    offer = factories.OpenOfferFactory(
        share_class=community_class,
        policy=Offer.Policy.SCALE_BACK,
        minimum_target=gbp(100),
        maximum_target=gbp(1000),
        minimum_per_investor=gbp(100),
        maximum_per_investor=gbp(1000),
    )
    applications = [unpaid_application(offer=offer, shares=1000, method="card") for _ in range(2)]
    for application in applications:
        pay_with_card(stripe_server=stripe_server, application=application)

    with django_capture_on_commit_callbacks(execute=True):
        allocate_offer(offer=close_offer(offer=offer))

    for application in applications:
        application.refresh_from_db()
        assert application.shares_allocated == 500
        refund = Refund.objects.get(application=application)
        assert (refund.amount, refund.state) == (gbp(500), Refund.State.PAID)
        charge = stripe_server.intent(application.card_payments.get().intent_id)["latest_charge"]
        assert (charge["amount"], charge["amount_refunded"]) == (100000, 50000)


def test_without_keys_card_payment_says_it_is_not_configured(open_offer, settings):
    settings.STRIPE_SECRET_KEY = ""
    with pytest.raises(gateway.NotConfigured, match="not configured"):
        start_card_payment(application=unpaid_application(offer=open_offer, shares=250, method="card"))


def test_minor_units_are_exact_integers():
    assert gateway.to_minor_units(gbp("1250.10")) == 125010
    assert gateway.from_minor_units(125010, "gbp") == gbp("1250.10")
    with pytest.raises(ValueError):
        gateway.to_minor_units(gbp("0.001"))


def test_latest_charge_may_be_an_id_or_an_object():
    assert gateway.charge_id("ch_1") == "ch_1"
    assert gateway.charge_id({"id": "ch_2", "object": "charge"}) == "ch_2"
    assert gateway.charge_id(None) is None


def test_only_a_scale_back_offer_may_charge_at_allocation(community_class):
    from capital.errors import CapitalError
    from capital.services import save_offer

    offer = factories.OpenOfferFactory.build(
        share_class=community_class, state=Offer.State.DRAFT, card_charge=Offer.CardCharge.ON_ALLOCATION
    )
    with pytest.raises(CapitalError, match="Only a scale-back offer can charge cards at allocation"):
        save_offer(offer=offer)


def test_a_mail_server_that_is_down_does_not_stop_card_refunds(
    stripe_server, open_offer, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "tests.failing_email.FailingEmailBackend"
    applications = [unpaid_application(offer=open_offer, shares=100, method="card") for _ in range(2)]
    for application in applications:
        pay_with_card(stripe_server=stripe_server, application=application)
    with django_capture_on_commit_callbacks(execute=True):
        assert allocate_offer(offer=close_offer(offer=open_offer)).failed
    assert set(Refund.objects.values_list("state", flat=True)) == {Refund.State.PAID}


def test_send_card_refunds_command_sends_what_is_still_due(stripe_server, open_offer):
    import io

    from django.core.management import call_command

    application = unpaid_application(offer=open_offer, shares=100, method="card")
    pay_with_card(stripe_server=stripe_server, application=application)
    allocate_offer(offer=close_offer(offer=open_offer))  # no commit here: nothing was queued
    assert Refund.objects.get().state == Refund.State.DUE
    out = io.StringIO()
    call_command("send_card_refunds", stdout=out)
    assert "1 card refunds sent" in out.getvalue()
    assert Refund.objects.get().state == Refund.State.PAID
