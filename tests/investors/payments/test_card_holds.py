"""Cards for an offer that charges at allocation, against localstripe: held (authorised) when
the investor applies within the life of a hold and captured at allocation for exactly what is
allotted; charged at once and refunded the excess when the offer runs longer; and never one
investor's card stopping everyone else's allocation."""

import datetime
import json

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from capital.models import AuditEntry, Offer
from capital.services import close_offer
from investors.applications.allocation import allocate_offer
from investors.applications.cancellation import cancel_application_for_reason
from investors.errors import PaymentError
from investors.models import Application, CardPayment, Payment, Refund
from investors.payments.reconciliation import reconcile
from tests import factories
from tests.builders import board_seat, paid_application, pay_with_card, saved_card, unpaid_application
from tests.factories import gbp
from tests.stripe_server import signed_event

State = Application.State
Status = CardPayment.Status


def stripe_intents(stripe_server) -> list[dict]:
    return stripe_server.request("GET", "/v1/payment_intents")["data"]


def captured_charge(stripe_server, card: CardPayment) -> dict:
    return stripe_server.intent(card.intent_id)["latest_charge"]


# --- The finding: one investor could block an offer's allocation for good ------------------------


def test_a_made_up_card_sent_to_the_card_page_is_refused_and_stores_nothing(stripe_server, held_offer):
    """An investor POSTed `pm_made_up` to their own charge URL; it was kept as their card and every
    allocation after answered 500. Now Stripe must confirm the card came from this application's
    SetupIntent, for this holder, before anything is stored or charged."""
    paid_application(offer=held_offer, shares=600)
    user = factories.UserFactory()
    mallory = unpaid_application(
        offer=held_offer, shares=600, holder=factories.HolderFactory(user=user), method="card"
    )
    client = Client()
    client.force_login(user)
    charge_url = reverse("payments:card-charge", args=[mallory.payment_reference])

    response = client.post(
        charge_url,
        json.dumps({"payment_method": "pm_made_up", "setup_intent": "seti_made_up"}),
        content_type="application/json",
    )

    assert response.status_code == 409
    assert response.json() == {
        "status": "error",
        "message": "We could not confirm that card with our card processor. Please enter your card again.",
    }
    mallory.refresh_from_db()
    assert (mallory.saved_payment_method_id, mallory.state) == ("", State.AWAITING_PAYMENT)
    assert not CardPayment.objects.exists() and stripe_intents(stripe_server) == []

    result = allocate_offer(offer=close_offer(offer=held_offer))
    mallory.refresh_from_db()
    assert (result.shares_issued, mallory.state) == (600, State.CANCELLED)


def test_a_made_up_card_saved_before_this_release_cannot_block_the_allocation(
    stripe_server, long_offer, django_capture_on_commit_callbacks
):
    """Cards saved for allocation by the old card page are still charged off-session; a made-up
    one (Stripe: no such payment method) cancels that application only, and its investor is told."""
    good = unpaid_application(offer=long_offer, shares=600, method="card")
    payment_method, _ = saved_card(stripe_server=stripe_server, application=good)
    made_up = unpaid_application(offer=long_offer, shares=600, method="card")
    Application.objects.filter(pk=good.pk).update(saved_payment_method_id=payment_method)
    Application.objects.filter(pk=made_up.pk).update(saved_payment_method_id="pm_made_up")

    with django_capture_on_commit_callbacks(execute=True):
        result = allocate_offer(offer=close_offer(offer=long_offer))

    good.refresh_from_db()
    made_up.refresh_from_db()
    assert (good.state, good.shares_allocated) == (State.ALLOCATED, 500)
    assert made_up.state == State.CANCELLED and result.shares_issued == 500
    [told] = [message for message in mail.outbox if message.to == [made_up.holder.email]]
    assert "We could not charge your card" in told.subject and "nothing has been taken" in told.body
    assert "Our card processor refused to charge your card" in told.body
    cancelled = AuditEntry.objects.get(action="application.cancelled")
    assert made_up.payment_reference in cancelled.summary and cancelled.data["reason"]


def test_the_card_page_answers_with_a_message_when_stripe_cannot_be_reached(
    stripe_server, held_offer, settings
):
    user = factories.UserFactory()
    application = unpaid_application(
        offer=held_offer, shares=250, holder=factories.HolderFactory(user=user), method="card"
    )
    client = Client()
    client.force_login(user)
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"  # nothing listens there

    page = client.get(reverse("payments:card", args=[application.payment_reference]))
    assert page.status_code == 200
    assert "We could not reach our card processor to set up your card" in page.content.decode()
    for name, body in (
        ("card-charge", {"payment_method": "pm_1", "setup_intent": "seti_1"}),
        ("card-check", {}),
    ):
        response = client.post(
            reverse(f"payments:{name}", args=[application.payment_reference]),
            json.dumps(body),
            content_type="application/json",
        )
        assert response.status_code == 409, name
        assert response.json()["status"] == "error" and response.json()["message"], name


# --- Holds: authorised when applying, captured at allocation -------------------------------------


def test_a_card_given_within_the_life_of_a_hold_is_authorised_and_nothing_is_taken(stripe_server, held_offer):
    application = unpaid_application(offer=held_offer, shares=400, method="card")

    outcome = pay_with_card(stripe_server=stripe_server, application=application)

    assert outcome.status == "authorised"
    assert outcome.message.startswith(
        "£400.00 is held on your card. Nothing is taken until the offer is allocated"
    )
    card = CardPayment.objects.get(application=application)
    assert (card.held, card.status, card.amount) == (True, Status.AUTHORISED, gbp(400))
    intent = stripe_server.intent(card.intent_id)
    assert (intent["status"], intent["capture_method"], intent["amount"]) == (
        "requires_capture",
        "manual",
        40000,
    )
    application.refresh_from_db()
    assert application.state == State.AWAITING_PAYMENT and not Payment.objects.exists()
    assert AuditEntry.objects.filter(action="card.authorised", data__application=application.pk).exists()


def test_allocation_captures_exactly_what_each_hold_is_allotted_and_releases_the_rest(
    stripe_server, held_offer, django_capture_on_commit_callbacks
):
    bank = paid_application(offer=held_offer, shares=1000)
    cards = [unpaid_application(offer=held_offer, shares=1000, method="card") for _ in range(2)]
    for application in cards:
        assert pay_with_card(stripe_server=stripe_server, application=application).status == "authorised"
    preview_offer = close_offer(offer=held_offer)

    with django_capture_on_commit_callbacks(execute=True):
        result = allocate_offer(offer=preview_offer)

    # 100 each guaranteed, 700 shared over equal unmet demand: 234 to the earliest payer, 233 each after.
    assert result.shares_issued == 1000
    bank.refresh_from_db()
    assert (bank.shares_allocated, Refund.objects.get(application=bank).amount) == (334, gbp(666))
    for application in cards:
        application.refresh_from_db()
        assert (application.state, application.shares, application.shares_requested) == (
            State.ALLOCATED,
            333,
            1000,
        )
        card = application.card_payments.get()
        assert (card.status, card.amount, card.taken, card.released) == (
            Status.SUCCEEDED,
            gbp(1000),
            gbp(333),
            gbp(667),
        )
        assert stripe_server.intent(card.intent_id)["status"] == "succeeded"
        # Stripe shows the untaken part of a hold as refunded; no refund of ours is owed.
        assert captured_charge(stripe_server, card)["amount_refunded"] == 66700
        assert Payment.objects.get(application=application).amount == gbp(333)
        assert not Refund.objects.filter(application=application).exists()
    assert len(stripe_intents(stripe_server)) == 2
    # Only the bank payment's excess, which the treasurer sends back by hand, is left to do.
    assert reconcile(held_offer.society).problems == [
        f"{bank.payment_reference} (LINE-{bank.pk}): refund of £666.00 still owed to {bank.holder}"
    ]


def test_a_hold_that_lapsed_cancels_that_application_only_and_tells_its_investor(
    stripe_server, held_offer, django_capture_on_commit_callbacks
):
    good, lapsed = (unpaid_application(offer=held_offer, shares=600, method="card") for _ in range(2))
    for application in (good, lapsed):
        pay_with_card(stripe_server=stripe_server, application=application)
    # Stripe cancels a hold seven days after it was made.
    stripe_server.request("POST", f"/v1/payment_intents/{lapsed.card_payments.get().intent_id}/cancel", {})

    with django_capture_on_commit_callbacks(execute=True):
        result = allocate_offer(offer=close_offer(offer=held_offer))

    good.refresh_from_db()
    lapsed.refresh_from_db()
    assert (good.state, good.shares_allocated, result.shares_issued) == (State.ALLOCATED, 500, 500)
    assert lapsed.state == State.CANCELLED
    assert lapsed.card_payments.get().status in (Status.RELEASED, Status.FAILED)
    [told] = [message for message in mail.outbox if message.to == [lapsed.holder.email]]
    assert "nothing has been taken from your card" in told.body
    assert not Payment.objects.filter(application=lapsed).exists()


def test_when_the_offer_fails_no_card_is_taken_and_every_hold_is_released(stripe_server, held_offer):
    application = unpaid_application(offer=held_offer, shares=200, method="card")
    pay_with_card(stripe_server=stripe_server, application=application)

    result = allocate_offer(offer=close_offer(offer=held_offer))

    assert result.failed
    application.refresh_from_db()
    card = application.card_payments.get()
    assert (application.state, card.status) == (State.CANCELLED, Status.RELEASED)
    assert stripe_server.intent(card.intent_id)["status"] == "canceled"
    assert not Payment.objects.exists() and not Refund.objects.exists()


def test_a_hold_scaled_back_to_nothing_is_released(stripe_server, community_class):
    offer = factories.OpenOfferFactory(
        share_class=community_class,
        policy=Offer.Policy.SCALE_BACK,
        card_charge=Offer.CardCharge.ON_ALLOCATION,
        minimum_target=gbp(1),
        maximum_target=gbp(2),
        minimum_per_investor=gbp(1),
        maximum_per_investor=gbp(2),
        closes_at=timezone.now() + datetime.timedelta(days=1),
    )
    # Three investors for two shares: one each to the two who paid first, none to the card.
    paid_application(offer=offer, shares=1)
    paid_application(offer=offer, shares=1)
    late = unpaid_application(offer=offer, shares=1, method="card")
    pay_with_card(stripe_server=stripe_server, application=late)

    result = allocate_offer(offer=close_offer(offer=offer))

    late.refresh_from_db()
    assert result.shares_issued == 2
    assert (late.state, late.card_payments.get().status) == (State.CANCELLED, Status.RELEASED)


def test_when_stripe_cannot_be_reached_nothing_is_issued_and_allocating_again_takes_each_card_once(
    stripe_server, held_offer, settings, localstripe_server
):
    cards = [unpaid_application(offer=held_offer, shares=500, method="card") for _ in range(2)]
    for application in cards:
        pay_with_card(stripe_server=stripe_server, application=application)
    offer = close_offer(offer=held_offer)
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"  # nothing listens there

    with pytest.raises(PaymentError, match="Stripe could not be reached to take the card money for"):
        allocate_offer(offer=offer)

    offer.refresh_from_db()
    assert offer.state == Offer.State.CLOSED and not Payment.objects.exists()
    assert all(application.card_payments.get().status == Status.AUTHORISED for application in cards)
    settings.STRIPE_API_BASE = localstripe_server.url
    result = allocate_offer(offer=offer)
    assert result.shares_issued == 1000 and Payment.objects.count() == 2
    for application in cards:
        card = application.card_payments.get()
        assert (card.status, stripe_server.intent(card.intent_id)["status"]) == (
            Status.SUCCEEDED,
            "succeeded",
        )


# --- An offer that runs longer than a hold: charged at once, the excess refunded -----------------


def test_an_offer_running_longer_than_a_hold_charges_at_once_and_refunds_what_is_not_allotted(
    stripe_server, long_offer, django_capture_on_commit_callbacks
):
    cards = [unpaid_application(offer=long_offer, shares=1000, method="card") for _ in range(2)]
    for application in cards:
        assert pay_with_card(stripe_server=stripe_server, application=application).status == "succeeded"
        application.refresh_from_db()
        assert application.state == State.PAID
        assert application.card_payments.get().held is False

    with django_capture_on_commit_callbacks(execute=True):
        allocate_offer(offer=close_offer(offer=long_offer))

    for application in cards:
        application.refresh_from_db()
        assert application.shares_allocated == 500
        refund = Refund.objects.get(application=application)
        assert (refund.amount, refund.state, refund.reason) == (
            gbp(500),
            Refund.State.PAID,
            Refund.Reason.SCALED_BACK,
        )
        charge = captured_charge(stripe_server, application.card_payments.get())
        assert (charge["amount"], charge["amount_refunded"]) == (100000, 50000)


def test_the_card_page_says_whether_the_card_is_held_or_charged(stripe_server, held_offer, long_offer):
    for offer, heading, wording in (
        (held_offer, "Authorise £250.00 on your card", "The amount is held on your card now."),
        (long_offer, "Pay £250.00 by card", ""),
    ):
        user = factories.UserFactory()
        application = unpaid_application(
            offer=offer, shares=250, holder=factories.HolderFactory(user=user), method="card"
        )
        client = Client()
        client.force_login(user)
        page = client.get(reverse("payments:card", args=[application.payment_reference])).content.decode()
        assert f"<h1>{heading}</h1>" in page
        assert wording in page


def test_cards_for_charging_at_allocation_are_set_up_for_use_without_the_investor(stripe_server, held_offer):
    _, setup_intent = saved_card(
        stripe_server=stripe_server,
        application=unpaid_application(offer=held_offer, shares=250, method="card"),
    )
    assert stripe_server.request("GET", f"/v1/setup_intents/{setup_intent}")["usage"] == "off_session"


def test_reconcile_lists_a_hold_left_on_the_card_of_a_cancelled_application(
    stripe_server, held_offer, settings, localstripe_server
):
    application = unpaid_application(offer=held_offer, shares=300, method="card")
    pay_with_card(stripe_server=stripe_server, application=application)
    director = board_seat(society=held_offer.society, role="director")
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"  # the release cannot reach Stripe
    cancel_application_for_reason(application=application, by=director, reason="Asked to by the applicant.")
    assert any("were not checked: We could not reach" in p for p in reconcile(held_offer.society).problems)
    settings.STRIPE_API_BASE = localstripe_server.url

    [problem] = reconcile(held_offer.society).problems
    assert problem.startswith(f"{application.payment_reference} (pi_") and "still held on the card" in problem
    assert reconcile(factories.SocietyFactory()).ok


def test_webhooks_for_a_hold_record_it_and_its_release_without_a_refund_of_ours(
    client, stripe_server, held_offer
):
    def deliver(event_type, obj):
        payload, signature = signed_event(event_type, obj)
        return client.post(
            "/payments/stripe/webhook/",
            payload,
            content_type="application/json",
            HTTP_STRIPE_SIGNATURE=signature,
        )

    application = unpaid_application(offer=held_offer, shares=300, method="card")
    pay_with_card(stripe_server=stripe_server, application=application)
    card = application.card_payments.get()
    CardPayment.objects.filter(pk=card.pk).update(status=Status.STARTED)  # as if the answer was lost
    intent = stripe_server.intent(card.intent_id)

    assert deliver("payment_intent.amount_capturable_updated", intent).json()["outcome"] == "processed"
    card.refresh_from_db()
    assert card.status == Status.AUTHORISED
    released = stripe_server.request("POST", f"/v1/payment_intents/{card.intent_id}/cancel", {})
    assert deliver("payment_intent.canceled", released).json()["outcome"] == "processed"
    card.refresh_from_db()
    assert card.status == Status.RELEASED
    charge = dict(stripe_server.intent(card.intent_id)["latest_charge"], amount_refunded=30000)
    assert deliver("charge.refunded", charge).json()["outcome"] == "processed"
    assert not Refund.objects.exists()
