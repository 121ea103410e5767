"""Taking card money at allocation, for an offer that charges cards then.

Cards given within the life of a hold were authorised when the investor applied (`held`
card payments); allocation fixes the scale-back plan over paid applications and held cards
together, keeps it (so a re-run takes the same amounts under the same idempotency keys),
then captures from each hold exactly what it is allotted (Stripe releases the rest), or
releases the hold when the offer fails or the application is scaled back to nothing. Cards
saved before holds existed (`Application.saved_payment_method_id`) are charged off-session.

One investor's card can never stop the others: a card Stripe refuses (declined, not a real
card, a lapsed hold, a bank asking for authentication) cancels that application and the
investor is told; a card Stripe could not be reached for (a network error, a rate limit,
Stripe's own error) is *still to be taken*: the allocation goes on around it with its planned
shares set aside, its investor is told, and the board takes the card again (the same request
under the same idempotency key, which Stripe answers once) or cancels the application. If the
capture did reach Stripe, its `payment_intent.succeeded` webhook or the next try records the
payment, and the payment issues the set-aside shares (`investors.applications.set_aside`).
"""

import logging
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Exists, OuterRef, Q

from capital import permissions
from capital.models import Offer
from capital.money import format_money
from capital.services import record_audit
from capital.text import counted
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
    whose card Stripe could not be reached for (still to be taken, their shares set aside)."""

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
        intent = _take(application, hold, amount)
    except gateway.StripeRefused as refused:
        _cancel(application, str(refused))
        collection.lines.append(f"{reference}: {refused}; the application is cancelled")
        return
    except gateway.StripeUnavailable as unavailable:
        logger.warning("Card for %s not taken at allocation: %s", reference, unavailable)
        _keep_for_later(application)
        collection.waiting.append(application)
        collection.lines.append(
            f"{reference}: Stripe could not be reached; the card is still to be taken, its shares set aside"
        )
        return
    collection.lines.append(_settle_taken(application, intent, amount))


def _take(application: Application, hold: CardPayment | None, amount) -> gateway.Intent:
    """Capture the hold (or charge the saved card) for `amount`, under a key that makes a
    repeat of the same request (a retry, or a re-run after a crash) take the money once."""
    if hold is not None:
        return gateway.capture_intent(
            intent_id=hold.intent_id, amount=amount, idempotency_key=f"{hold.idempotency_key}-capture"
        )
    return gateway.charge_card(
        amount=amount,
        customer_id=customer_id_for(application.holder),
        payment_method_id=application.saved_payment_method_id,
        metadata={"application_id": application.pk, "payment_reference": application.payment_reference},
        idempotency_key=f"commonshare-application-{application.pk}-allocation",
        off_session=True,
    )


def _settle_taken(application: Application, intent: gateway.Intent, amount) -> str:
    """Record what Stripe answered; cancel the application (and say why) unless it paid."""
    reference = application.payment_reference
    record_intent(intent)
    if intent.status in ("succeeded", "processing"):
        return f"{reference}: {intent.status}, {format_money(amount)}"
    if intent.status == "requires_action":  # it must not be finished later, after the allocation
        _abandon_at_stripe(intent.id)
    why = (
        "Your bank asked you to confirm the payment, and you were not there."
        if intent.status == "requires_action"
        else intent.failure_message or "The hold on your card had lapsed or been cancelled."
    )
    _cancel(application, why)
    return f"{reference}: {why} Not charged; the application is cancelled"


def _keep_for_later(application: Application) -> None:
    """Mark the card still to be taken: allocation sets its planned shares aside (and tells the
    investor then, `tell_card_still_to_take`: an allocation that is refused tells no one)."""
    with transaction.atomic():
        locked = (
            Application.objects.select_for_update()
            .select_related("holder", "offer__share_class__society")
            .get(pk=application.pk)
        )
        if locked.card_still_to_take:
            return
        locked.card_still_to_take = True
        locked.save(update_fields=["card_still_to_take"])
        record_audit(
            society=locked.offer.society,
            actor=None,
            action="card.still_to_take",
            summary=f"{locked.payment_reference}: Stripe could not be reached to take the card at "
            f"allocation; its {locked.shares} shares are set aside until the card is taken",
            application=locked.pk,
        )
    application.card_still_to_take = True


def tell_card_still_to_take(application: Application) -> None:
    """Tell the investor, once the allocation that set their shares aside commits, that nothing
    is lost and the society will try their card again."""
    email_holder(
        holder=application.holder,
        template="card_still_to_take",
        subject=f"Your card is still to be charged ({application.payment_reference})",
        application=application,
        amount=format_money(application.amount),
    )


def take_held_card_again(*, application: Application, by) -> str:
    """The board tries again to take the card of an application allocated around, for exactly
    its set-aside shares; once the money is in, its shares are issued through the register.
    A card Stripe refuses cancels the application (its investor told); if Stripe still cannot
    be reached nothing changes and the board may try again later, or cancel it."""
    application = Application.objects.select_related("holder", "offer__share_class__society").get(
        pk=application.pk
    )
    permissions.require(by, "allocate_offers", application.offer.society)
    if not (application.card_still_to_take and application.state == Application.State.AWAITING_PAYMENT):
        raise PaymentError(f"{application.about()} has no card still to be taken.")
    hold = held_card_of(application) or _captured_hold_of(application)
    amount = application.amount
    try:
        try:
            intent = _take(application, hold, amount)
        except gateway.StripeRefused:
            if hold is None:
                raise
            # The capture may have reached Stripe the first time: then it is taken, not refused.
            intent = gateway.retrieve_intent(hold.intent_id)
            if intent.status != "succeeded":
                raise
    except gateway.StripeRefused as refused:
        _cancel(application, str(refused))
        return (
            f"{application.payment_reference}: {refused}; the application is cancelled and its investor told."
        )
    except gateway.StripeUnavailable as unavailable:
        raise PaymentError(
            f"Stripe still could not be reached to take the card for {application.payment_reference}; "
            "nothing has changed and its shares stay set aside. Try again in a few minutes, or cancel "
            f"the application. ({unavailable})"
        ) from unavailable
    line = _settle_taken(application, intent, amount)
    application.refresh_from_db()
    if application.state == Application.State.ALLOCATED:
        issued = counted(application.shares_allocated, "share")
        return f"{application.payment_reference}: the card is taken and {issued} issued."
    return line


def _captured_hold_of(application: Application) -> CardPayment | None:
    """A hold whose capture a webhook already recorded (so no longer `authorised`)."""
    return application.card_payments.filter(held=True).exclude(intent_id=None).order_by("-pk").first()


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
