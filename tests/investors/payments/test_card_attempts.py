"""One card payment attempt per application, written before Stripe is called, against
localstripe: two tabs with two cards never both pay, a double click never charges twice, a
lost answer from Stripe is asked again under the same key, and only a card saved through this
application's own SetupIntent is ever charged."""

import datetime

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from investors.errors import PaymentError
from investors.models import Application, CardPayment, Payment
from investors.payments.cards import check_card_payment, pay_by_card
from tests.builders import pay_with_card, saved_card, unpaid_application

State = Application.State
Status = CardPayment.Status


def intents(stripe_server) -> list[dict]:
    return stripe_server.request("GET", "/v1/payment_intents")["data"]


def test_a_second_tab_with_another_card_cancels_the_first_before_it_can_be_charged(stripe_server, open_offer):
    """Tab one's card waits for 3-D Secure; tab two pays with another card. Tab one's payment is
    cancelled at Stripe first, so finishing its authentication later charges nothing."""
    application = unpaid_application(offer=open_offer, shares=250, method="card")
    first = pay_with_card(stripe_server=stripe_server, application=application, kind="needs_authentication")
    assert first.status == "requires_action"

    second = pay_with_card(stripe_server=stripe_server, application=application)

    assert second.status == "succeeded"
    first_intent = stripe_server.intent(first.client_secret.split("_secret_")[0])
    assert first_intent["status"] == "canceled"
    with pytest.raises(Exception, match="400"):
        stripe_server.authenticate(first.client_secret, success=True)
    assert [intent["status"] for intent in intents(stripe_server)].count("succeeded") == 1
    application.refresh_from_db()
    assert application.state == State.PAID and Payment.objects.count() == 1
    assert sorted(CardPayment.objects.values_list("status", flat=True)) == [Status.FAILED, Status.SUCCEEDED]


def test_a_card_payment_under_way_in_another_tab_refuses_a_second_card(stripe_server, open_offer):
    application = unpaid_application(offer=open_offer, shares=250, method="card")
    under_way = CardPayment.objects.create(
        application=application,
        payment_method_id="pm_first",
        amount=application.amount,
        status=Status.STARTED,
    )
    payment_method, setup_intent = saved_card(stripe_server=stripe_server, application=application)

    with pytest.raises(PaymentError, match="already under way, perhaps in another window"):
        pay_by_card(application=application, payment_method_id=payment_method, setup_intent_id=setup_intent)

    assert intents(stripe_server) == []
    assert list(CardPayment.objects.values_list("pk", flat=True)) == [under_way.pk]


def test_the_database_allows_one_live_attempt_per_application(open_offer):
    application = unpaid_application(offer=open_offer, shares=250, method="card")
    CardPayment.objects.create(
        application=application, payment_method_id="pm_a", amount=application.amount, status=Status.STARTED
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        CardPayment.objects.create(
            application=application,
            payment_method_id="pm_b",
            amount=application.amount,
            status=Status.STARTED,
        )
    CardPayment.objects.create(
        application=application, payment_method_id="pm_c", amount=application.amount, status=Status.FAILED
    )
    assert CardPayment.objects.count() == 2


def test_the_same_card_sent_twice_is_charged_once(stripe_server, open_offer):
    application = unpaid_application(offer=open_offer, shares=250, method="card")
    payment_method, setup_intent = saved_card(
        stripe_server=stripe_server, application=application, kind="needs_authentication"
    )
    outcomes = [
        pay_by_card(application=application, payment_method_id=payment_method, setup_intent_id=setup_intent)
        for _ in range(2)
    ]
    assert [outcome.status for outcome in outcomes] == ["requires_action", "requires_action"]
    assert outcomes[0].client_secret == outcomes[1].client_secret
    assert len(intents(stripe_server)) == 1 and CardPayment.objects.count() == 1


def test_when_stripe_cannot_be_reached_the_next_try_asks_again_under_the_same_key(
    stripe_server, open_offer, settings, localstripe_server
):
    application = unpaid_application(offer=open_offer, shares=250, method="card")
    payment_method, setup_intent = saved_card(stripe_server=stripe_server, application=application)
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"  # nothing listens there

    with pytest.raises(PaymentError, match="We could not reach our card processor to check your card"):
        pay_by_card(application=application, payment_method_id=payment_method, setup_intent_id=setup_intent)
    assert not CardPayment.objects.exists()  # the card was not even confirmed: nothing stored

    settings.STRIPE_API_BASE = localstripe_server.url
    attempt = CardPayment.objects.create(
        application=application,
        payment_method_id=payment_method,
        amount=application.amount,
        status=Status.STARTED,
        failure_message="The card processor could not be reached; the outcome was not known.",
    )
    outcome = pay_by_card(
        application=application, payment_method_id=payment_method, setup_intent_id=setup_intent
    )

    assert outcome.status == "succeeded"
    attempt.refresh_from_db()
    assert attempt.status == Status.SUCCEEDED and attempt.intent_id
    assert len(intents(stripe_server)) == 1
    assert stripe_server.intent(attempt.intent_id)["metadata"]["card_payment_id"] == str(attempt.pk)


def test_a_started_attempt_left_by_a_crash_is_settled_by_asking_stripe_again(stripe_server, open_offer):
    application = unpaid_application(offer=open_offer, shares=250, method="card")
    payment_method, setup_intent = saved_card(stripe_server=stripe_server, application=application)
    crashed = CardPayment.objects.create(
        application=application,
        payment_method_id=payment_method,
        amount=application.amount,
        status=Status.STARTED,
    )
    CardPayment.objects.filter(pk=crashed.pk).update(
        updated_at=timezone.now() - datetime.timedelta(minutes=6)
    )

    outcome = pay_by_card(
        application=application, payment_method_id=payment_method, setup_intent_id=setup_intent
    )

    assert outcome.status == "succeeded"
    crashed.refresh_from_db()
    assert crashed.status == Status.SUCCEEDED and CardPayment.objects.count() == 1


@pytest.mark.parametrize(
    "borrowed", ["made up", "another application's card", "a card from another of its SetupIntents"]
)
def test_only_a_card_saved_through_this_applications_setup_intent_is_charged(
    stripe_server, open_offer, borrowed
):
    application = unpaid_application(offer=open_offer, shares=250, method="card")
    other = unpaid_application(offer=open_offer, shares=250, method="card")
    if borrowed == "made up":
        payment_method, setup_intent = "pm_made_up", "seti_made_up"
    elif borrowed == "another application's card":
        payment_method, setup_intent = saved_card(stripe_server=stripe_server, application=other)
    else:  # a real card of theirs, sent with a SetupIntent that saved another card
        payment_method, _ = saved_card(stripe_server=stripe_server, application=application)
        _, setup_intent = saved_card(stripe_server=stripe_server, application=application)

    with pytest.raises(PaymentError, match="We could not confirm that card with our card processor"):
        pay_by_card(application=application, payment_method_id=payment_method, setup_intent_id=setup_intent)

    assert not CardPayment.objects.exists() and intents(stripe_server) == []


def test_checking_a_payment_that_was_never_started_says_so(stripe_server, open_offer):
    application = unpaid_application(offer=open_offer, shares=250, method="card")
    with pytest.raises(PaymentError, match="No card payment has been started"):
        check_card_payment(application=application)
