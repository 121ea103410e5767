"""Stripe's webhook events: stored by id first, then processed once, in one transaction.

The same event delivered twice, five times or out of order changes nothing after the first
time: the event id is a unique key, and what each event does is itself idempotent and only
ever moves a card payment forward.
"""

import logging

from django.db import DatabaseError, transaction
from django.utils import timezone
from djmoney.money import Money

from capital.errors import Refusal
from capital.services import record_audit
from investors.models import CardPayment, Payment, Refund, WebhookEvent
from investors.payments import gateway
from investors.payments.cards import mark_disputed, record_intent

Outcome = WebhookEvent.Outcome
logger = logging.getLogger(__name__)


def receive_stripe_event(payload: bytes, signature: str | None) -> WebhookEvent:
    """Verify, store, then process an event. Raises `ValueError` for a bad or stale signature."""
    event = gateway.verify_event(payload, signature)
    if (
        not isinstance(event, dict)
        or not _is_text(event.get("id"), 255)
        or not _is_text(event.get("type"), 100)
    ):
        raise ValueError("The payload is not a Stripe event.")
    record, _ = WebhookEvent.objects.get_or_create(
        event_id=event["id"], defaults={"type": event["type"], "payload": event}
    )
    process_event(record)
    record.refresh_from_db()
    if record.outcome == Outcome.FAILED:
        raise ValueError(record.note)
    return record


def _is_text(value, longest: int) -> bool:
    """An event's id and type are short strings, as Stripe sends them (and as they are stored)."""
    return isinstance(value, str) and 0 < len(value) <= longest


def process_event(record: WebhookEvent) -> None:
    with transaction.atomic():
        record = WebhookEvent.objects.select_for_update().get(pk=record.pk)
        if record.outcome != Outcome.PENDING:
            return
        handler = HANDLERS.get(record.type)
        data = record.payload.get("data")
        obj = data.get("object") if isinstance(data, dict) else None
        if not isinstance(obj, dict):
            outcome, note = Outcome.FAILED, "The event's data carries no object."
        elif handler is None:
            outcome, note = Outcome.IGNORED, ""
        else:
            try:
                with transaction.atomic():
                    outcome, note = handler(obj)
            except DatabaseError:
                raise  # the view answers 500 and Stripe retries
            except Refusal as refused:
                # Retrying would not help: keep the event, and show it to the treasurer.
                logger.warning("Stripe event %s could not be processed: %r", record.event_id, refused)
                outcome, note = Outcome.UNMATCHED, f"Could not be processed: {refused}"
            except (KeyError, TypeError, ValueError, AttributeError, ArithmeticError) as malformed:
                # Signed, but not shaped as Stripe's events are: refused (400), kept for reconcile.
                logger.warning("Stripe event %s is malformed: %r", record.event_id, malformed)
                outcome, note = Outcome.FAILED, f"Malformed event: {malformed!r}"
        record.outcome, record.note, record.processed_at = outcome, note, timezone.now()
        record.save(update_fields=["outcome", "note", "processed_at"])


def _intent_succeeded(obj) -> tuple[str, str]:
    intent = _intent(obj)
    if intent.amount is None:
        return (
            Outcome.UNMATCHED,
            f"{intent.id} is in {intent.currency.upper()}, which the platform does not take.",
        )
    card = record_intent(intent)
    if card is None:
        return Outcome.UNMATCHED, f"No application of ours started {obj.get('id')}."
    return Outcome.PROCESSED, f"{card.application.payment_reference} paid"


def _intent_failed(obj) -> tuple[str, str]:
    intent = _intent(obj)
    card = record_intent(intent) if intent.amount is not None else None
    if card is None:
        return Outcome.UNMATCHED, f"No application of ours started {intent.id}."
    if card.status == CardPayment.Status.FAILED:
        record_audit(
            society=card.application.offer.society,
            actor=None,
            action="card.failed",
            summary=f"{card.application.payment_reference}: "
            f"{intent.failure_message or 'the card payment failed'}",
            application=card.application_id,
        )
    return Outcome.PROCESSED, card.get_status_display()


def _intent_changed(obj) -> tuple[str, str]:
    """A hold made (`amount_capturable_updated`) or a payment cancelled, a hold released or
    lapsed (`canceled`): brought up to date like any other answer from Stripe."""
    card = record_intent(_intent(obj))
    if card is None:
        return Outcome.UNMATCHED, f"No application of ours started {obj.get('id')}."
    return Outcome.PROCESSED, card.get_status_display()


def _charge_refunded(obj) -> tuple[str, str]:
    """A refund seen by Stripe. Ours are on the refund list (paid, or due while being sent);
    the untaken part of a card hold (released, which Stripe reports as refunded) is ours too;
    one made in Stripe's dashboard is recorded so the treasurer sees money that left outside
    the platform."""
    intent_id = obj.get("payment_intent")
    payment = (
        Payment.objects.filter(method="card", provider_reference=intent_id)
        .select_related("application")
        .first()
    )
    card = CardPayment.objects.filter(intent_id=intent_id).first() if isinstance(intent_id, str) else None
    if payment is None:
        if card is not None and card.held:
            return Outcome.PROCESSED, "the hold was released; nothing was taken"
        return Outcome.UNMATCHED, f"No payment of ours for {intent_id}."
    amount_refunded = obj.get("amount_refunded", 0)
    if not isinstance(amount_refunded, int) or isinstance(amount_refunded, bool):
        raise ValueError("The charge's amount refunded is not a whole number of minor units.")
    refunded = gateway.from_minor_units(amount_refunded, obj["currency"])
    # Refunds still due are ours in flight: Stripe may report one before we have marked it paid.
    ours = sum((refund.amount for refund in payment.refunds.all()), Money(0, refunded.currency))
    if card is not None:
        ours += card.released
    if refunded <= ours:
        return Outcome.PROCESSED, "refund already recorded"
    outside = refunded - ours
    Refund.objects.create(
        application=payment.application,
        payment=payment,
        amount=outside,
        reason=Refund.Reason.REFUNDED_OUTSIDE,
        state=Refund.State.PAID,
        paid_at=timezone.now(),
        paid_reference=obj.get("id", ""),
    )
    record_audit(
        society=payment.application.offer.society,
        actor=None,
        action="card.refunded_outside",
        summary=f"{payment.application.payment_reference}: {outside} refunded in Stripe, not by us.",
        application=payment.application_id,
    )
    return Outcome.PROCESSED, f"{outside} refunded outside the platform"


def _dispute_created(obj) -> tuple[str, str]:
    intent_id = obj.get("payment_intent")
    card = mark_disputed(intent_id=intent_id, reason=obj.get("reason", "no reason given"))
    if card is None:
        return Outcome.UNMATCHED, f"No card payment of ours for {intent_id}."
    return Outcome.PROCESSED, "dispute recorded"


def _intent(obj) -> gateway.Intent:
    return gateway.intent_from_event(obj)


HANDLERS = {
    "payment_intent.succeeded": _intent_succeeded,
    "payment_intent.payment_failed": _intent_failed,
    "payment_intent.amount_capturable_updated": _intent_changed,
    "payment_intent.canceled": _intent_changed,
    "charge.refunded": _charge_refunded,
    "charge.dispute.created": _dispute_created,
}
