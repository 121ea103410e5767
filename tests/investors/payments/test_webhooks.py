"""Stripe's webhook: signed, stored by id, processed once, in any order."""

import hashlib
import hmac
import json
import time

import pytest

from investors.models import Application, CardPayment, Payment, Refund, WebhookEvent
from investors.payments.reconciliation import reconcile
from tests import factories
from tests.builders import pay_with_card, unpaid_application
from tests.factories import gbp
from tests.stripe_server import WEBHOOK_SECRET, signed_event

URL = "/payments/stripe/webhook/"


def deliver(client, event_type, obj, **kwargs):
    payload, signature = signed_event(event_type, obj, **kwargs)
    return client.post(URL, payload, content_type="application/json", HTTP_STRIPE_SIGNATURE=signature)


@pytest.fixture
def authenticated_intent(stripe_server, open_offer):
    """A 3-D Secure payment the investor finished, but whose browser never came back."""
    application = unpaid_application(offer=open_offer, shares=400, method="card")
    outcome = pay_with_card(stripe_server=stripe_server, application=application, kind="needs_authentication")
    stripe_server.authenticate(outcome.client_secret, success=True)
    intent_id = outcome.client_secret.split("_secret_")[0]
    return application, stripe_server.intent(intent_id)


def test_payment_succeeded_marks_the_application_paid(client, authenticated_intent):
    application, intent = authenticated_intent
    response = deliver(client, "payment_intent.succeeded", intent)
    assert response.status_code == 200 and response.json()["outcome"] == "processed"
    application.refresh_from_db()
    assert application.state == Application.State.PAID
    assert Payment.objects.get().provider_reference == intent["id"]


def test_the_same_event_five_times_changes_nothing_after_the_first(client, authenticated_intent):
    application, intent = authenticated_intent
    payload, signature = signed_event("payment_intent.succeeded", intent, event_id="evt_same")
    for _ in range(5):
        response = client.post(URL, payload, content_type="application/json", HTTP_STRIPE_SIGNATURE=signature)
        assert response.status_code == 200
    assert WebhookEvent.objects.count() == 1 and Payment.objects.count() == 1
    assert not Refund.objects.exists()


def test_different_events_for_the_same_payment_pay_once(client, authenticated_intent):
    _, intent = authenticated_intent
    for _ in range(3):
        deliver(client, "payment_intent.succeeded", intent)
    assert WebhookEvent.objects.count() == 3 and Payment.objects.count() == 1 and not Refund.objects.exists()


def test_a_late_failure_event_does_not_undo_a_success(client, authenticated_intent):
    application, intent = authenticated_intent
    deliver(client, "payment_intent.succeeded", intent)
    failed = dict(intent, status="requires_payment_method", last_payment_error={"message": "Declined"})
    deliver(client, "payment_intent.payment_failed", failed)
    assert CardPayment.objects.get().status == CardPayment.Status.SUCCEEDED
    application.refresh_from_db()
    assert application.state == Application.State.PAID


def test_a_failure_event_is_shown_to_the_treasurer(client, stripe_server, open_offer):
    application = unpaid_application(offer=open_offer, shares=250, method="card")
    outcome = pay_with_card(stripe_server=stripe_server, application=application, kind="needs_authentication")
    stripe_server.authenticate(outcome.client_secret, success=False)
    intent = stripe_server.intent(outcome.client_secret.split("_secret_")[0])
    deliver(client, "payment_intent.payment_failed", intent)
    assert CardPayment.objects.get().status == CardPayment.Status.FAILED
    assert open_offer.society.audit_entries.filter(action="card.failed").exists()
    application.refresh_from_db()
    assert application.state == Application.State.AWAITING_PAYMENT


def test_an_event_for_an_unknown_intent_is_kept_and_reported(client, stripe_server, db):
    intent = stripe_server.charge_outside(5000)
    response = deliver(client, "payment_intent.succeeded", intent)
    assert response.status_code == 200
    event = WebhookEvent.objects.get()
    assert event.outcome == WebhookEvent.Outcome.UNMATCHED and intent["id"] in event.note
    assert not Payment.objects.exists()


@pytest.mark.parametrize(
    "tamper",
    [
        lambda payload, signature: (payload, ""),
        lambda payload, signature: (payload, signature.replace("v1=", "v1=00")),
        lambda payload, signature: (payload.replace(b"succeeded", b"xucceeded"), signature),
    ],
    ids=["unsigned", "bad-signature", "changed-payload"],
)
def test_unsigned_or_forged_events_are_refused_and_not_stored(client, authenticated_intent, tamper):
    _, intent = authenticated_intent
    payload, signature = tamper(*signed_event("payment_intent.succeeded", intent))
    response = client.post(URL, payload, content_type="application/json", HTTP_STRIPE_SIGNATURE=signature)
    assert response.status_code == 400
    assert not WebhookEvent.objects.exists() and not Payment.objects.exists()


def test_a_stale_event_is_refused(client, authenticated_intent):
    _, intent = authenticated_intent
    assert deliver(client, "payment_intent.succeeded", intent, age_seconds=600).status_code == 400
    assert not WebhookEvent.objects.exists()


def test_a_site_without_a_webhook_secret_asks_stripe_to_retry(client, authenticated_intent, settings):
    _, intent = authenticated_intent
    settings.STRIPE_WEBHOOK_SECRET = ""
    assert deliver(client, "payment_intent.succeeded", intent).status_code == 503


def test_events_we_do_not_act_on_are_stored_and_ignored(client, stripe_server, db):
    assert deliver(client, "customer.created", {"id": "cus_1", "object": "customer"}).status_code == 200
    assert WebhookEvent.objects.get().outcome == WebhookEvent.Outcome.IGNORED


def test_a_refund_made_in_stripe_outside_the_platform_is_recorded(
    client, stripe_server, authenticated_intent
):
    application, intent = authenticated_intent
    deliver(client, "payment_intent.succeeded", intent)
    stripe_server.refund_outside(intent["id"], 10000)
    charge = stripe_server.intent(intent["id"])["latest_charge"]
    deliver(client, "charge.refunded", charge)
    deliver(client, "charge.refunded", charge)
    refund = Refund.objects.get()
    assert (refund.reason, refund.amount, refund.state) == (
        Refund.Reason.REFUNDED_OUTSIDE,
        gbp(100),
        Refund.State.PAID,
    )
    assert application.offer.society.audit_entries.filter(action="card.refunded_outside").exists()


def test_a_dispute_is_flagged_for_the_treasurer(client, authenticated_intent):
    application, intent = authenticated_intent
    deliver(client, "payment_intent.succeeded", intent)
    dispute = {"id": "dp_1", "object": "dispute", "payment_intent": intent["id"], "reason": "fraudulent"}
    deliver(client, "charge.dispute.created", dispute)
    assert CardPayment.objects.get().disputed
    entry = application.offer.society.audit_entries.get(action="card.disputed")
    assert "fraudulent" in entry.summary


def test_an_event_in_a_currency_we_do_not_take_is_kept_not_retried(client, stripe_server, db):
    intent = dict(stripe_server.charge_outside(5000), currency="usd")
    response = deliver(client, "payment_intent.succeeded", intent)
    assert response.status_code == 200
    event = WebhookEvent.objects.get()
    assert event.outcome == WebhookEvent.Outcome.UNMATCHED and "USD" in event.note


def test_our_own_refund_reported_by_stripe_before_we_marked_it_paid_is_not_counted_twice(
    client, stripe_server, authenticated_intent
):
    from investors.payments.refunds import owe_back

    application, intent = authenticated_intent
    deliver(client, "payment_intent.succeeded", intent)
    payment = Payment.objects.get()
    refund = owe_back(
        application=application, payment=payment, amount=gbp(100), reason=Refund.Reason.DUPLICATE
    )
    stripe_server.refund_outside(intent["id"], 10000)  # our refund, sent, not yet marked paid
    deliver(client, "charge.refunded", stripe_server.intent(intent["id"])["latest_charge"])
    assert list(Refund.objects.values_list("pk", flat=True)) == [refund.pk]


@pytest.mark.parametrize(
    ("data", "amount"),
    [("not-an-object", None), (None, "lots")],
    ids=["data-not-an-object", "amount-not-a-number"],
)
def test_a_signed_but_malformed_event_is_refused_and_kept_for_reconcile(
    client, authenticated_intent, data, amount
):
    application, intent = authenticated_intent
    if amount is not None:
        intent = {**intent, "amount": amount}
    payload, signature = signed_event("payment_intent.succeeded", intent, data=data)
    response = client.post(URL, payload, content_type="application/json", HTTP_STRIPE_SIGNATURE=signature)

    assert response.status_code == 400
    event = WebhookEvent.objects.get()
    assert event.outcome == WebhookEvent.Outcome.FAILED
    assert not Payment.objects.exists()
    application.refresh_from_db()
    assert application.state == Application.State.AWAITING_PAYMENT
    assert any(event.event_id in problem for problem in reconcile().problems)
    if amount is not None:  # it names our payment: our society's report shows it, no other's
        assert any(event.event_id in problem for problem in reconcile(application.offer.society).problems)
        other = factories.SocietyFactory()
        assert not any(event.event_id in problem for problem in reconcile(other).problems)
    # Delivered again, it is refused again and still kept once.
    again = client.post(URL, payload, content_type="application/json", HTTP_STRIPE_SIGNATURE=signature)
    assert again.status_code == 400 and WebhookEvent.objects.count() == 1


def test_a_signature_dated_in_the_future_is_refused(client, authenticated_intent):
    _, intent = authenticated_intent
    assert deliver(client, "payment_intent.succeeded", intent, age_seconds=-600).status_code == 400
    assert not WebhookEvent.objects.exists()
    assert deliver(client, "payment_intent.succeeded", intent, age_seconds=-60).status_code == 200


def sign_raw(payload: bytes) -> str:
    timestamp = int(time.time())
    signature = hmac.new(WEBHOOK_SECRET.encode(), f"{timestamp}.".encode() + payload, hashlib.sha256)
    return f"t={timestamp},v1={signature.hexdigest()}"


@pytest.mark.parametrize(
    "payload",
    [
        json.dumps({"id": "evt_" + "x" * 300, "type": "payment_intent.succeeded", "data": {}}).encode(),
        json.dumps({"id": {"a": 1}, "type": "payment_intent.succeeded", "data": {}}).encode(),
        json.dumps({"id": "evt_1", "type": ["payment_intent.succeeded"], "data": {}}).encode(),
        b'{"id": "evt_deep", "type": "x", "data": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
    ],
    ids=["id-too-long", "id-not-text", "type-not-text", "nested-too-deep"],
)
def test_a_signed_payload_that_is_no_stripe_event_is_refused_with_400_not_an_error(
    client, db, stripe_server, payload
):
    signature = sign_raw(payload)
    response = client.post(URL, payload, content_type="application/json", HTTP_STRIPE_SIGNATURE=signature)
    assert response.status_code == 400
    assert not WebhookEvent.objects.exists()
