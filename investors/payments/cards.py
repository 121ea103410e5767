"""Paying by card on the card page: save the card in the browser, charge (or hold) it here.

Every Stripe call happens outside a database transaction; what it returns is then recorded
in one, through the same `confirm_payment` that bank transfers use. Before Stripe is called
the attempt is written with the application locked (`CardPayment`, status `started`): one live
attempt per application, so two tabs each sending a different card cannot both be charged.
Whatever Stripe answers, the investor gets a message, never a server error.
"""

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from capital.models import Offer
from capital.money import format_money
from capital.services import record_audit
from investors.errors import PaymentError
from investors.models import Application, CardPayment, StripeCustomer
from investors.payments import gateway
from investors.payments.services import card_is_held, confirm_payment

CARD = Application.PaymentMethod.CARD
Status = CardPayment.Status
# A started attempt younger than this may still be waiting for Stripe's answer in another
# request; an older one (a crash, a lost answer) is settled by asking Stripe again under its
# own idempotency key, which never charges twice.
IN_FLIGHT_FOR = datetime.timedelta(minutes=5)
NOT_CONFIRMED = "We could not confirm that card with our card processor. Please enter your card again."
UNREACHABLE = "The card processor could not be reached; the outcome was not known."


@dataclass(frozen=True)
class CardSetup:
    client_secret: str
    publishable_key: str
    js_url: str
    held: bool  # the card will be authorised now and charged at allocation


@dataclass(frozen=True)
class CardOutcome:
    status: str  # succeeded, authorised, requires_action, processing or declined
    message: str = ""
    client_secret: str = ""


def _payable(application: Application) -> Application:
    application = Application.objects.select_related("holder", "offer__share_class__society").get(
        pk=application.pk
    )
    _check_payable(application)
    return application


def _check_payable(application: Application) -> None:
    if application.payment_method != CARD:
        raise PaymentError("This application is to be paid by bank transfer.")
    if application.state != Application.State.AWAITING_PAYMENT:
        raise PaymentError(
            f"This application is {application.get_state_display().lower()}; it needs no payment."
        )


def start_card_payment(*, application: Application) -> CardSetup:
    """What the browser needs to collect a card with Stripe.js (`confirmCardSetup`)."""
    application = _payable(application)
    customer_id = customer_id_for(application.holder)
    later = application.offer.card_charge == Offer.CardCharge.ON_ALLOCATION
    return CardSetup(
        client_secret=gateway.create_setup_intent(
            customer_id=customer_id, application_id=application.pk, off_session=later
        ),
        publishable_key=settings.STRIPE_PUBLISHABLE_KEY,
        js_url=settings.STRIPE_JS_URL,
        held=card_is_held(application.offer, timezone.now()),
    )


def customer_id_for(holder) -> str:
    existing = StripeCustomer.objects.filter(holder=holder).first()
    if existing:
        return existing.customer_id
    # Idempotent on the holder: two first payments at once get the same Stripe customer.
    customer_id = gateway.ensure_customer(email=holder.email, name=holder.name, holder_id=holder.pk)
    return StripeCustomer.objects.get_or_create(holder=holder, defaults={"customer_id": customer_id})[
        0
    ].customer_id


def pay_by_card(*, application: Application, payment_method_id: str, setup_intent_id: str) -> CardOutcome:
    """Charge the card saved on this application's card page for exactly its amount, or, for
    an offer that charges at allocation and closes within the life of a card hold, authorise
    it now and take it at allocation.

    The card must be the one Stripe says was saved through this application's SetupIntent, for
    this holder: a made-up or borrowed payment method is refused before anything is stored.
    """
    application = _payable(application)
    customer_id = customer_id_for(application.holder)
    confirmed = gateway.confirmed_card(
        setup_intent_id=setup_intent_id, customer_id=customer_id, application_id=application.pk
    )
    if confirmed != payment_method_id:
        raise PaymentError(NOT_CONFIRMED)
    held = card_is_held(application.offer, timezone.now())
    for _ in range(3):
        attempt, live = _claim_attempt(application, payment_method_id, held)
        if attempt is not None:
            return _send(attempt, customer_id)
        outcome = _settle_live_attempt(live, payment_method_id, customer_id)
        if outcome is not None:
            return outcome
    raise PaymentError("Another card payment for this application is under way. Reload the page in a minute.")


def _claim_attempt(application, payment_method_id, held) -> tuple[CardPayment | None, CardPayment | None]:
    """With the application locked: a new started attempt, or the live one standing in its way."""
    with transaction.atomic():
        locked = Application.objects.select_for_update().select_related("offer").get(pk=application.pk)
        _check_payable(locked)
        live = CardPayment.objects.filter(application=locked, status__in=CardPayment.LIVE).first()
        if live is not None:
            return None, live
        try:
            with transaction.atomic():
                attempt = CardPayment.objects.create(
                    application=locked,
                    payment_method_id=payment_method_id,
                    amount=locked.amount,
                    held=held,
                    status=Status.STARTED,
                )
        except IntegrityError:  # the constraint: another attempt won the race
            return None, CardPayment.objects.filter(application=locked, status__in=CardPayment.LIVE).first()
    return attempt, None


def _settle_live_attempt(live, payment_method_id: str, customer_id: str) -> CardOutcome | None:
    """What to do about an attempt already live for the application: its outcome to report,
    or None once it is settled and a new attempt may be made."""
    if live is None:
        return None
    same_card = live.payment_method_id == payment_method_id
    if live.status == Status.STARTED:
        in_flight = not live.failure_message and live.updated_at > timezone.now() - IN_FLIGHT_FOR
        if in_flight:
            raise PaymentError(
                "A payment for this application is already under way, perhaps in another window. "
                "Wait a minute, then reload this page to see how it went."
            )
        outcome = _send(live, customer_id)  # the same request again: Stripe answers it once
        return outcome if same_card or outcome.status != "declined" else None
    if same_card:  # a double click, or the page reloaded: report, never charge again
        intent = gateway.retrieve_intent(live.intent_id)
        return _outcome(record_intent(intent), intent)
    if live.status == Status.REQUIRES_ACTION:
        # The investor gave up authenticating one card and chose another: cancel the first at
        # Stripe, so that it can no longer succeed, before charging the second.
        try:
            intent = gateway.cancel_intent(intent_id=live.intent_id)
        except gateway.StripeRefused:
            intent = gateway.retrieve_intent(live.intent_id)  # it finished meanwhile
        record_intent(intent)
        return None
    if live.status == Status.AUTHORISED:
        raise PaymentError(
            f"{format_money(live.amount)} is already held on your card for this application; nothing "
            "more is needed. Only what you are allotted is taken when the offer is allocated."
        )
    raise PaymentError(
        "Your bank is still processing a payment for this application. Wait for it to finish; if it "
        "fails you can pay with another card."
    )


def _send(attempt: CardPayment, customer_id: str) -> CardOutcome:
    application = attempt.application
    try:
        intent = gateway.charge_card(
            amount=attempt.amount,
            customer_id=customer_id,
            payment_method_id=attempt.payment_method_id,
            metadata={
                "application_id": application.pk,
                "payment_reference": application.payment_reference,
                "card_payment_id": attempt.pk,
            },
            idempotency_key=attempt.idempotency_key,
            capture=not attempt.held,
        )
    except gateway.StripeRefused as refused:
        _end_attempt(attempt, Status.FAILED, str(refused))
        record_audit(
            society=application.offer.society,
            actor=application.holder.user,
            action="card.declined",
            summary=f"{application.payment_reference}: {refused}",
            application=application.pk,
        )
        return CardOutcome(
            status="declined", message=f"{refused} Please try another card, or pay by bank transfer."
        )
    except gateway.StripeUnavailable:
        # Stripe may or may not have acted: the attempt stays, and the next try asks again
        # under the same key, which Stripe answers once.
        CardPayment.objects.filter(pk=attempt.pk, status=Status.STARTED).update(
            failure_message=UNREACHABLE, updated_at=timezone.now()
        )
        raise
    record_intent(intent, attempt=attempt)
    return _outcome(attempt, intent)


def _end_attempt(attempt: CardPayment, status: str, why: str) -> None:
    with transaction.atomic():
        attempt = CardPayment.objects.select_for_update().get(pk=attempt.pk)
        if attempt.advance_to(status):
            attempt.failure_message = why
            attempt.save(update_fields=["status", "failure_message", "updated_at"])


def _outcome(card: CardPayment | None, intent: gateway.Intent) -> CardOutcome:
    if intent.status == "requires_action":
        return CardOutcome(status="requires_action", client_secret=intent.client_secret)
    if intent.status in ("requires_payment_method", "canceled"):
        return CardOutcome(
            status="declined", message=intent.failure_message or "The payment did not go through."
        )
    if intent.status == "requires_capture":
        amount = format_money(card.amount) if card is not None else "The amount"
        return CardOutcome(
            status="authorised",
            message=f"{amount} is held on your card. Nothing is taken until the offer is allocated, and "
            "then only for the shares you are allotted; if the offer fails, the hold is released.",
        )
    return CardOutcome(status=intent.status)


def check_card_payment(*, application: Application) -> CardOutcome:
    """After the browser finished authentication: ask Stripe how the latest attempt went."""
    latest = application.card_payments.exclude(intent_id=None).order_by("-pk").first()
    if latest is None:
        raise PaymentError("No card payment has been started for this application.")
    intent = gateway.retrieve_intent(latest.intent_id)
    return _outcome(record_intent(intent), intent)


INTENT_STATUS = {
    "succeeded": Status.SUCCEEDED,
    "processing": Status.PROCESSING,
    "requires_action": Status.REQUIRES_ACTION,
    "requires_capture": Status.AUTHORISED,
    "requires_payment_method": Status.FAILED,
    "canceled": Status.FAILED,
}


def record_intent(intent: gateway.Intent, *, attempt: CardPayment | None = None) -> CardPayment | None:
    """Bring our record of a PaymentIntent up to date; a success becomes a payment.

    Safe to call any number of times, in any order: the card payment's status only moves
    forward and `confirm_payment` stores a payment once per intent. Returns None for an
    intent that no application of ours started.
    """
    status = INTENT_STATUS.get(intent.status)
    with transaction.atomic():
        card = _card_payment_for_update(intent, attempt)
        if card is None or status is None:
            return card
        if status == Status.FAILED and card.status == Status.AUTHORISED:
            status = Status.RELEASED  # a hold cancelled (by us, or lapsed at Stripe)
        if card.advance_to(status):
            card.failure_message = intent.failure_message if status == Status.FAILED else ""
            card.save(update_fields=["status", "failure_message", "updated_at"])
            if status == Status.AUTHORISED:
                record_audit(
                    society=card.application.offer.society,
                    actor=None,
                    action="card.authorised",
                    summary=f"{card.application.payment_reference}: {format_money(card.amount)} held on "
                    "the card until allocation",
                    application=card.application_id,
                )
        if card.status == Status.SUCCEEDED:
            confirm_payment(
                application=card.application,
                amount=intent.amount_received if intent.amount_received is not None else card.taken,
                method=CARD,
                provider_reference=intent.id,
            )
    return card


def _card_payment_for_update(intent: gateway.Intent, attempt: CardPayment | None) -> CardPayment | None:
    """Our attempt for this intent, locked: found by the intent's id, or by the attempt id it
    carries (its first answer, from Stripe or a webhook, names the intent); failing both, a row
    for an intent someone made in Stripe for one of our applications."""
    card = CardPayment.objects.select_for_update().filter(intent_id=intent.id).first()
    if card is not None:
        return card
    attempt_id = str(attempt.pk) if attempt is not None else intent.metadata.get("card_payment_id", "")
    application_id = intent.metadata.get("application_id", "")
    if attempt_id.isdigit():
        card = (
            CardPayment.objects.select_for_update()
            .filter(pk=int(attempt_id), intent_id=None, application_id=application_id or None)
            .first()
        )
        if card is not None:
            card.intent_id = intent.id
            card.save(update_fields=["intent_id", "updated_at"])
            return card
    application = (
        Application.objects.filter(pk=int(application_id)).first() if application_id.isdigit() else None
    )
    if application is None or intent.amount is None:
        return None
    try:
        with transaction.atomic():
            card, _ = CardPayment.objects.get_or_create(
                intent_id=intent.id,
                defaults={
                    "application": application,
                    "payment_method_id": "",
                    "amount": intent.amount,
                    "status": INTENT_STATUS.get(intent.status, Status.PROCESSING),
                },
            )
    except IntegrityError:  # another live attempt holds the application: leave it to reconcile
        return None
    return CardPayment.objects.select_for_update().get(pk=card.pk)


def mark_disputed(*, intent_id: str, reason: str) -> CardPayment | None:
    with transaction.atomic():
        card = CardPayment.objects.select_for_update().filter(intent_id=intent_id).first()
        if card is None or card.disputed:
            return card
        card.disputed = True
        card.save(update_fields=["disputed", "updated_at"])
        record_audit(
            society=card.application.offer.society,
            actor=None,
            action="card.disputed",
            summary=f"{card.application.payment_reference}: the card holder disputed the payment ({reason}).",
            application=card.application_id,
            disputed_at=timezone.now().isoformat(),
        )
    return card
