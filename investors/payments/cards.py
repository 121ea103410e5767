"""Paying by card: save the card in the browser, charge it here, refund it through Stripe.

Every Stripe call happens outside a database transaction; what it returns is then recorded
in one, through the same `confirm_payment` that bank transfers use.
"""

from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from capital.models import Offer
from capital.services import record_audit
from investors.applications.plan import PAYMENT_ORDER, scale_back_plan
from investors.applications.services import cancel_application
from investors.errors import PaymentError
from investors.models import Application, CardPayment, StripeCustomer
from investors.notify import email_holder
from investors.payments import gateway
from investors.payments.services import confirm_payment

CARD = Application.PaymentMethod.CARD
Status = CardPayment.Status


@dataclass(frozen=True)
class CardSetup:
    client_secret: str
    publishable_key: str
    js_url: str


@dataclass(frozen=True)
class CardOutcome:
    status: str  # succeeded, requires_action, processing or declined
    message: str = ""
    client_secret: str = ""


def _payable(application: Application) -> Application:
    application = Application.objects.select_related("holder", "offer__share_class__society").get(
        pk=application.pk
    )
    if application.payment_method != CARD:
        raise PaymentError("This application is to be paid by bank transfer.")
    if application.state != Application.State.AWAITING_PAYMENT:
        raise PaymentError(
            f"This application is {application.get_state_display().lower()}; it needs no payment."
        )
    return application


def start_card_payment(*, application: Application) -> CardSetup:
    """What the browser needs to collect a card with Stripe.js (`confirmCardSetup`)."""
    application = _payable(application)
    customer_id = _customer_id(application.holder)
    later = application.offer.card_charge == Offer.CardCharge.ON_ALLOCATION
    return CardSetup(
        client_secret=gateway.create_setup_intent(
            customer_id=customer_id, application_id=application.pk, off_session=later
        ),
        publishable_key=settings.STRIPE_PUBLISHABLE_KEY,
        js_url=settings.STRIPE_JS_URL,
    )


def _customer_id(holder) -> str:
    existing = StripeCustomer.objects.filter(holder=holder).first()
    if existing:
        return existing.customer_id
    # Idempotent on the holder: two first payments at once get the same Stripe customer.
    customer_id = gateway.ensure_customer(email=holder.email, name=holder.name, holder_id=holder.pk)
    return StripeCustomer.objects.get_or_create(holder=holder, defaults={"customer_id": customer_id})[
        0
    ].customer_id


def pay_by_card(*, application: Application, payment_method_id: str) -> CardOutcome:
    """Charge the card saved for this application, for exactly its amount.

    The idempotency key is derived from the application and the card, so a double-clicked
    form or a retried request never creates a second charge; a declined card leaves the
    application payable with another card.
    """
    application = _payable(application)
    if application.offer.card_charge == Offer.CardCharge.ON_ALLOCATION:
        return save_card_for_allocation(application=application, payment_method_id=payment_method_id)
    pending = application.card_payments.filter(status__in=[Status.REQUIRES_ACTION, Status.PROCESSING]).first()
    if pending is not None and pending.payment_method_id == payment_method_id:
        return _outcome(gateway.retrieve_intent(pending.intent_id))
    try:
        intent = gateway.charge_card(
            amount=application.amount,
            customer_id=_customer_id(application.holder),
            payment_method_id=payment_method_id,
            metadata={"application_id": application.pk, "payment_reference": application.payment_reference},
            idempotency_key=f"commonshare-application-{application.pk}-{payment_method_id}",
        )
    except gateway.CardDeclined as declined:
        record_audit(
            society=application.offer.society,
            actor=application.holder.user,
            action="card.declined",
            summary=f"{application.payment_reference}: {declined}",
            application=application.pk,
        )
        return CardOutcome(
            status="declined", message=f"{declined} Please try another card, or pay by bank transfer."
        )
    record_intent(intent, payment_method_id=payment_method_id)
    return _outcome(intent)


def _outcome(intent: gateway.Intent) -> CardOutcome:
    if intent.status == "requires_action":
        return CardOutcome(status="requires_action", client_secret=intent.client_secret)
    if intent.status == "requires_payment_method":
        return CardOutcome(
            status="declined", message=intent.failure_message or "The payment did not go through."
        )
    return CardOutcome(status=intent.status)


def check_card_payment(*, application: Application) -> CardOutcome:
    """After the browser finished authentication: ask Stripe how the latest charge went."""
    latest = application.card_payments.order_by("-pk").first()
    if latest is None:
        raise PaymentError("No card payment has been started for this application.")
    intent = gateway.retrieve_intent(latest.intent_id)
    record_intent(intent)
    return _outcome(intent)


INTENT_STATUS = {
    "succeeded": Status.SUCCEEDED,
    "processing": Status.PROCESSING,
    "requires_action": Status.REQUIRES_ACTION,
    "requires_payment_method": Status.FAILED,
    "canceled": Status.FAILED,
}


def record_intent(intent: gateway.Intent, *, payment_method_id: str = "") -> CardPayment | None:
    """Bring our record of a PaymentIntent up to date; a success becomes a payment.

    Safe to call any number of times, in any order: the card payment's status only moves
    forward and `confirm_payment` stores a payment once per intent. Returns None for an
    intent that no application of ours started.
    """
    status = INTENT_STATUS.get(intent.status)
    with transaction.atomic():
        card = _card_payment_for_update(intent, payment_method_id)
        if card is None or status is None:
            return card
        if card.advance_to(status):
            card.failure_message = intent.failure_message if status == Status.FAILED else ""
            card.save(update_fields=["status", "failure_message", "updated_at"])
        if card.status == Status.SUCCEEDED:
            confirm_payment(
                application=card.application,
                amount=intent.amount,
                method=CARD,
                provider_reference=intent.id,
            )
    return card


def _card_payment_for_update(intent: gateway.Intent, payment_method_id: str) -> CardPayment | None:
    card = CardPayment.objects.select_for_update().filter(intent_id=intent.id).first()
    if card is not None:
        return card
    application_id = intent.metadata.get("application_id", "")
    application = (
        Application.objects.filter(pk=int(application_id)).first() if application_id.isdigit() else None
    )
    if application is None:
        return None
    card, _ = CardPayment.objects.get_or_create(
        intent_id=intent.id,
        defaults={
            "application": application,
            "payment_method_id": payment_method_id,
            "amount": intent.amount,
            "status": INTENT_STATUS.get(intent.status, Status.PROCESSING),
        },
    )
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


def save_card_for_allocation(*, application: Application, payment_method_id: str) -> CardOutcome:
    """For an offer that charges at allocation: keep the saved card, charge nothing yet."""
    with transaction.atomic():
        application = Application.objects.select_for_update().get(pk=application.pk)
        if application.state != Application.State.AWAITING_PAYMENT:
            raise PaymentError(f"This application is {application.get_state_display().lower()}.")
        application.saved_payment_method_id = payment_method_id
        application.save(update_fields=["saved_payment_method_id"])
    return CardOutcome(
        status="saved",
        message="Your card is saved. It will be charged when the offer is allocated, "
        "for exactly the shares you are allocated.",
    )


def charge_saved_cards(*, offer: Offer) -> list[str]:
    """Charge each card saved for a closed scale-back offer exactly what it will be allocated.

    The plan (the scale-back rule over paid applications and saved cards together) is fixed
    first and kept, so a re-run after a crash charges the same amounts; each charge's
    idempotency key is the application's. A declined card's application is cancelled and its
    share of the plan stays unallocated. Nothing is charged if the offer will fail anyway.
    """
    plan = _fix_plan(offer)
    results = []
    waiting = Application.objects.filter(
        offer=offer, state=Application.State.AWAITING_PAYMENT, payment_method=CARD
    ).exclude(saved_payment_method_id="")
    for application in waiting.select_related("holder", "offer__share_class__society").order_by("pk"):
        if not plan:
            break
        results.append(_charge_planned(application))
    return results


def _fix_plan(offer: Offer) -> bool:
    """Store each committed application's planned shares; False if the offer will fail."""
    with transaction.atomic():
        offer = Offer.objects.select_for_update().get(pk=offer.pk)
        if offer.state != Offer.State.CLOSED:
            raise PaymentError("Cards are charged at allocation only once the offer has closed.")
        committed = list(
            Application.objects.select_for_update()
            .filter(offer=offer)
            .filter(
                Q(state=Application.State.PAID)
                | Q(state=Application.State.AWAITING_PAYMENT, payment_method=CARD)
                & ~Q(saved_payment_method_id="")
            )
            .order_by(PAYMENT_ORDER, "pk")
        )
        if offer.price_per_share * sum(a.shares for a in committed) < offer.minimum_target:
            return False
        if any(application.shares_planned is not None for application in committed):
            return True
        for application_id, shares in scale_back_plan(offer, committed).items():
            Application.objects.filter(pk=application_id).update(shares_planned=shares)
    return True


def _charge_planned(application: Application) -> str:
    """Charge one saved card its planned amount.

    The application is cut down to the plan *before* Stripe is called, so a webhook for the
    charge (or a re-run after a crash) finds an application for exactly the amount charged.
    No lock is held while Stripe is called.
    """
    planned = application.shares_planned or 0
    if planned == 0:
        cancel_application(application=application)
        return f"{application.payment_reference}: scaled back to nothing; the card was not charged"
    amount = application.offer.price_per_share * planned
    with transaction.atomic():
        locked = Application.objects.select_for_update().get(pk=application.pk)
        if locked.shares != planned:
            locked.shares_requested = locked.shares
            locked.shares, locked.amount = planned, amount
            locked.save(update_fields=["shares_requested", "shares", "amount"])
    try:
        intent = gateway.charge_card(
            amount=amount,
            customer_id=_customer_id(application.holder),
            payment_method_id=application.saved_payment_method_id,
            metadata={"application_id": application.pk, "payment_reference": application.payment_reference},
            idempotency_key=f"commonshare-application-{application.pk}-allocation",
            off_session=True,
        )
    except gateway.CardDeclined as declined:
        cancel_application(application=application)
        _tell_card_not_charged(application, f"{declined}")
        return f"{application.payment_reference}: {declined}; the application is cancelled"
    record_intent(intent, payment_method_id=application.saved_payment_method_id)
    if intent.status == "requires_action":
        cancel_application(application=application)
        _tell_card_not_charged(
            application, "Your bank asked you to confirm the payment, and you were not there."
        )
        return f"{application.payment_reference}: the bank wants the investor to authenticate; not charged"
    return f"{application.payment_reference}: {intent.status}, {amount}"


def _tell_card_not_charged(application: Application, why: str) -> None:
    email_holder(
        holder=application.holder,
        template="card_not_charged",
        subject=f"We could not charge your card ({application.payment_reference})",
        application=application,
        why=why,
    )
