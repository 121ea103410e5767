"""Taking card money at allocation, for an offer that charges cards then.

Cards given within the life of a hold were authorised when the investor applied (`held`
card payments); allocation fixes the scale-back plan over paid applications and held cards
together, keeps it (so a re-run takes the same amounts under the same idempotency keys),
then captures from each hold exactly what it is allotted (Stripe releases the rest), or
releases the hold when the offer fails or the application is scaled back to nothing. Cards
saved before holds existed (`Application.saved_payment_method_id`) are charged off-session.

One investor's card can never stop the others: a card Stripe refuses (declined, not a real
card, a lapsed hold, a bank asking for authentication) cancels that application and the
investor is told; a card Stripe could not be reached for keeps its application waiting, and
the allocation is refused until it is tried again or the board cancels that application.
"""

import logging
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Exists, OuterRef, Q

from capital.models import Offer
from capital.money import format_money
from investors.applications.plan import PAYMENT_ORDER, scale_back_plan
from investors.applications.services import cancel_application
from investors.errors import PaymentError
from investors.models import Application, CardPayment
from investors.notify import email_holder
from investors.payments import gateway
from investors.payments.cards import customer_id_for, record_intent

CARD = Application.PaymentMethod.CARD
Status = CardPayment.Status
logger = logging.getLogger(__name__)


@dataclass
class CardCollection:
    """What happened to each card at allocation, in sentences; `waiting` are the applications
    whose card Stripe could not be reached for."""

    lines: list[str] = field(default_factory=list)
    waiting: list[Application] = field(default_factory=list)


def held_card_of(application: Application) -> CardPayment | None:
    return application.card_payments.filter(held=True, status=Status.AUTHORISED).first()


def committed_at_allocation():
    """Applications that count at allocation: paid, or awaiting a card to be taken then."""
    held = CardPayment.objects.filter(application=OuterRef("pk"), held=True, status=Status.AUTHORISED)
    card_waiting = Q(state=Application.State.AWAITING_PAYMENT, payment_method=CARD)
    return Q(state=Application.State.PAID) | card_waiting & (Q(Exists(held)) | ~Q(saved_payment_method_id=""))


def collect_cards_at_allocation(*, offer: Offer) -> CardCollection:
    """Capture (or charge) each card waiting for a closed offer's allocation, for exactly its
    planned shares; release every hold if the offer is going to fail."""
    collection = CardCollection()
    will_allocate = _fix_plan(offer)
    waiting = (
        Application.objects.filter(offer=offer)
        .filter(committed_at_allocation())
        .filter(state=Application.State.AWAITING_PAYMENT)
        .select_related("holder", "offer__share_class__society")
        .order_by("pk")
    )
    for application in waiting:
        if will_allocate:
            _take_planned(application, collection)
        else:
            _cancel(
                application,
                f"The offer missed its minimum target of {format_money(offer.minimum_target)}, so "
                "nothing is taken from your card.",
            )
            collection.lines.append(f"{application.payment_reference}: the offer fails; not charged")
    return collection


def _fix_plan(offer: Offer) -> bool:
    """Store each committed application's planned shares; False if the offer will fail."""
    with transaction.atomic():
        offer = Offer.objects.select_for_update().get(pk=offer.pk)
        if offer.state != Offer.State.CLOSED:
            raise PaymentError("Cards are charged at allocation only once the offer has closed.")
        committed = list(
            Application.objects.select_for_update()
            .filter(offer=offer)
            .filter(committed_at_allocation())
            .order_by(PAYMENT_ORDER, "pk")
        )
        if offer.price_per_share * sum(a.shares for a in committed) < offer.minimum_target:
            return False
        if any(application.shares_planned is not None for application in committed):
            return True
        for application_id, shares in scale_back_plan(offer, committed).items():
            Application.objects.filter(pk=application_id).update(shares_planned=shares)
    return True


def _take_planned(application: Application, collection: CardCollection) -> None:
    """Take one card's planned amount.

    The application is cut down to the plan *before* Stripe is called, so a webhook for the
    capture (or a re-run after a crash) finds an application for exactly the amount taken.
    No lock is held while Stripe is called.
    """
    reference = application.payment_reference
    planned = application.shares_planned or 0
    if planned == 0:
        _cancel(
            application,
            "The offer was oversubscribed, and the scale-back left no shares for this application.",
        )
        collection.lines.append(f"{reference}: scaled back to nothing; the card was not charged")
        return
    amount = application.offer.price_per_share * planned
    hold = held_card_of(application)
    with transaction.atomic():
        locked = Application.objects.select_for_update().get(pk=application.pk)
        if locked.shares != planned:
            locked.shares_requested = locked.shares
            locked.shares, locked.amount = planned, amount
            locked.save(update_fields=["shares_requested", "shares", "amount"])
        if hold is not None:
            CardPayment.objects.filter(pk=hold.pk).update(amount_to_capture=amount)
    try:
        if hold is not None:
            intent = gateway.capture_intent(
                intent_id=hold.intent_id, amount=amount, idempotency_key=f"{hold.idempotency_key}-capture"
            )
        else:
            intent = gateway.charge_card(
                amount=amount,
                customer_id=customer_id_for(application.holder),
                payment_method_id=application.saved_payment_method_id,
                metadata={"application_id": application.pk, "payment_reference": reference},
                idempotency_key=f"commonshare-application-{application.pk}-allocation",
                off_session=True,
            )
    except gateway.StripeRefused as refused:
        _cancel(application, str(refused))
        collection.lines.append(f"{reference}: {refused}; the application is cancelled")
        return
    except gateway.StripeUnavailable as unavailable:
        logger.warning("Card for %s not taken at allocation: %s", reference, unavailable)
        collection.waiting.append(application)
        collection.lines.append(f"{reference}: Stripe could not be reached; the card is still to be taken")
        return
    record_intent(intent)
    if intent.status in ("succeeded", "processing"):
        collection.lines.append(f"{reference}: {intent.status}, {format_money(amount)}")
        return
    if intent.status == "requires_action":  # it must not be finished later, after the allocation
        _abandon_at_stripe(intent.id)
    why = (
        "Your bank asked you to confirm the payment, and you were not there."
        if intent.status == "requires_action"
        else intent.failure_message or "The hold on your card had lapsed or been cancelled."
    )
    _cancel(application, why)
    collection.lines.append(f"{reference}: {why} Not charged; the application is cancelled")


def _cancel(application: Application, why: str) -> None:
    """Cancel an application whose card money will not be taken, release its hold and say why."""
    release_held_card(application=application)
    cancel_application(application=application, reason=why)
    email_holder(
        holder=application.holder,
        template="card_not_charged",
        subject=f"We could not charge your card ({application.payment_reference})",
        application=application,
        why=why,
    )


def _abandon_at_stripe(intent_id: str) -> None:
    try:
        record_intent(gateway.cancel_intent(intent_id=intent_id))
    except PaymentError as error:
        logger.warning("Could not cancel %s at Stripe (%s)", intent_id, error)


def release_held_card(*, application: Application) -> CardPayment | None:
    """Give back the hold on an application's card, if it has one. If Stripe cannot be reached
    the hold stays (Stripe itself releases it when it lapses) and `reconcile` lists it."""
    hold = held_card_of(application)
    if hold is None:
        return None
    try:
        try:
            intent = gateway.cancel_intent(intent_id=hold.intent_id)
        except gateway.StripeRefused:
            intent = gateway.retrieve_intent(hold.intent_id)  # released or taken already: record which
    except PaymentError as error:
        logger.warning("Could not release the card hold %s now (%s); it lapses", hold.intent_id, error)
        return hold
    return record_intent(intent)
