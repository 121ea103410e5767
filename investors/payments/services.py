"""Money in: every received payment ends as shares or as a refund; and the ways an offer can be paid."""

import datetime
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from djmoney.money import Money

from capital import permissions
from capital.models import AuditEntry, Offer, Society
from capital.money import format_money
from capital.services import offer_is_accepting, record_audit
from investors.applications.services import check_limits
from investors.applications.set_aside import is_set_aside, issue_set_aside_shares
from investors.errors import PaymentError
from investors.models import Application, Payment, Refund
from investors.notify import email_holder
from investors.payments import gateway
from investors.payments.refunds import owe_back
from shares.models import Holder

State = Application.State
PaymentMethod = Application.PaymentMethod


# An offer that charges cards at allocation holds the money on the card (an authorisation,
# captured at allocation) only when the hold will outlive the close by this much, so that the
# board has time to allocate; otherwise the card is charged at once and anything not allotted
# is refunded to it.
ALLOCATION_WINDOW = datetime.timedelta(days=2)


def card_is_held(offer: Offer, now: datetime.datetime) -> bool:
    """Whether a card given now is authorised (and captured at allocation) rather than charged."""
    return (
        offer.card_charge == Offer.CardCharge.ON_ALLOCATION
        and offer.closes_at + ALLOCATION_WINDOW <= now + gateway.HOLD_LIFETIME
    )


def accepted_payment_methods(offer: Offer) -> list[tuple[str, str]]:
    """The ways to pay this offer, as (method, what it means for the investor).

    Every application can be paid by bank transfer (its payment reference is matched from the
    society's statement); cards only where the site has Stripe keys, or the card page would
    only say that card payment is not configured.
    """
    methods = []
    if offer.accepts_card and gateway.is_configured():
        if card_is_held(offer, timezone.now()):
            card = (
                "Card: the amount is held on your card now, and only what you are allotted is taken "
                "when the offer is allocated"
            )
        elif offer.card_charge == Offer.CardCharge.ON_ALLOCATION:
            card = (
                "Card: you pay now, on the next page; anything you are not allotted when the offer "
                "is allocated is refunded to your card"
            )
        else:
            card = "Card: you pay now, on the next page"
        methods.append((PaymentMethod.CARD, card))
    if offer.accepts_bank_transfer:
        methods.append((PaymentMethod.BANK_TRANSFER, "Bank transfer: the next page gives the bank details"))
    return methods


def confirm_payment(
    *,
    application: Application,
    amount: Money,
    method: str,
    provider_reference: str,
    received_on: datetime.date | None = None,
    by=None,
) -> Payment:
    """Record money received for an application. Safe to call again with the same reference.

    The payment is stored once per (method, provider reference). The application becomes paid
    if it still can; otherwise (its reservation lapsed and the shares have gone, the offer has
    closed, or it was already paid) the money is put on the refund list, never dropped.
    """
    permissions.require(by, "record_payments", application.offer.society)
    if not provider_reference:
        raise PaymentError("Say which bank line or card payment this is (a reference is needed).")
    try:
        return _confirm(application, amount, method, provider_reference, received_on, by)
    except IntegrityError as error:  # the same line, at the same moment, for another application
        raise PaymentError(f"{provider_reference} is already recorded for another application.") from error


def _confirm(application, amount, method, provider_reference, received_on, by) -> Payment:
    with transaction.atomic():
        # Lock order, as in every service: holder, offer, application.
        holder = Holder.objects.select_for_update().get(pk=application.holder_id)
        offer = (
            Offer.objects.select_for_update()
            .select_related("share_class__society")
            .get(pk=application.offer_id)
        )
        application = Application.objects.select_for_update().get(pk=application.pk)
        existing = Payment.objects.filter(method=method, provider_reference=provider_reference).first()
        if existing is not None:
            if existing.application_id != application.pk:
                raise PaymentError(
                    f"{provider_reference} is already recorded for application "
                    f"{existing.application.payment_reference}."
                )
            return existing
        if amount != application.amount:
            raise PaymentError(
                f"Application {application.payment_reference} is for {format_money(application.amount)}, "
                f"not {format_money(amount)}; record the exact amount, or refund the payment."
            )
        payment = Payment.objects.create(
            application=application,
            method=method,
            amount=amount,
            provider_reference=provider_reference,
            received_on=received_on or timezone.localdate(),
            recorded_by=by,
        )
        outcome = _settle(offer, holder, application, payment)
        record_audit(
            society=offer.society,
            actor=by,
            action="payment.recorded",
            summary=f"{format_money(amount)} for {application.payment_reference}: {outcome}",
            application=application.pk,
            payment=payment.pk,
        )
        if outcome.startswith("paid"):
            email_holder(
                holder=holder,
                template="payment_received",
                subject=f"Payment received for {application.payment_reference}",
                application=application,
                society=offer.society,
                amount=format_money(amount),
            )
    return payment


@dataclass
class Receipt:
    """Money seen on the society's bank statement for an application; `confirm_bank_receipts`
    fills in the payment recorded, or why it was refused."""

    application: Application
    amount: Money
    provider_reference: str
    received_on: datetime.date
    payment: Payment | None = None
    refused: str = ""


def confirm_bank_receipts(
    *, society: Society, receipts: Sequence[Receipt], by=None, chunk: int = 2000
) -> None:
    """Record many bank transfers at once (a statement's exact matches), as `confirm_payment`
    would one by one, in one transaction with the caller's.

    The usual case (an application awaiting payment of exactly this amount, its offer open or
    closed, the line not yet recorded) is written in bulk: every holder, offer and application
    locked in the order every service takes them, the payments, the applications' new state and
    the audit entries each in one statement per chunk. Anything else goes through
    `confirm_payment` on its own (a refund owed, a lapsed reservation taken again, a refusal).
    """
    permissions.require(by, "record_payments", society)
    if not receipts:
        return
    with transaction.atomic():
        applications = _lock_for_payment(receipts, chunk)
        references = [receipt.provider_reference for receipt in receipts]
        recorded = set()
        for start in range(0, len(references), chunk):
            recorded.update(
                Payment.objects.filter(
                    method=PaymentMethod.BANK_TRANSFER,
                    provider_reference__in=references[start : start + chunk],
                ).values_list("provider_reference", flat=True)
            )
        usual, others, taken = [], [], set()
        for receipt in receipts:
            application = applications[receipt.application.pk]
            receipt.application = application
            if (
                receipt.provider_reference not in recorded
                and application.pk not in taken
                and application.state == State.AWAITING_PAYMENT
                and not application.paid_at
                and application.offer.state in (Offer.State.OPEN, Offer.State.CLOSED)
                and receipt.amount == application.amount
            ):
                taken.add(application.pk)
                usual.append(receipt)
            else:
                others.append(receipt)
        _record_usual(society, usual, by, chunk)
        for receipt in others:
            try:
                with transaction.atomic():
                    receipt.payment = confirm_payment(
                        application=receipt.application,
                        amount=receipt.amount,
                        method=PaymentMethod.BANK_TRANSFER,
                        provider_reference=receipt.provider_reference,
                        received_on=receipt.received_on,
                        by=by,
                    )
            except PaymentError as refused:
                receipt.refused = str(refused)


def _lock_for_payment(receipts: Sequence[Receipt], chunk: int) -> dict[int, Application]:
    """Lock the receipts' holders, then offers, then applications (each in id order, as one
    payment at a time would); returns the applications as locked, with their offers."""
    holder_ids = sorted({receipt.application.holder_id for receipt in receipts})
    offer_ids = sorted({receipt.application.offer_id for receipt in receipts})
    application_ids = sorted({receipt.application.pk for receipt in receipts})
    for start in range(0, len(holder_ids), chunk):
        list(
            Holder.objects.select_for_update()
            .filter(pk__in=holder_ids[start : start + chunk])
            .order_by("pk")
            .values_list("pk", flat=True)
        )
    offers = {
        offer.pk: offer
        for offer in Offer.objects.select_for_update(of=("self",))
        .select_related("share_class__society")
        .filter(pk__in=offer_ids)
        .order_by("pk")
    }
    applications = {}
    for start in range(0, len(application_ids), chunk):
        for application in (
            Application.objects.select_for_update()
            .filter(pk__in=application_ids[start : start + chunk])
            .order_by("pk")
        ):
            application.offer = offers[application.offer_id]
            applications[application.pk] = application
    return applications


def _record_usual(society: Society, receipts: Sequence[Receipt], by, chunk: int) -> None:
    now = timezone.now()
    for receipt in receipts:
        receipt.application.transition_to(State.PAID)
        receipt.application.paid_at = now
        receipt.payment = Payment(
            application=receipt.application,
            method=PaymentMethod.BANK_TRANSFER,
            amount=receipt.amount,
            provider_reference=receipt.provider_reference,
            received_on=receipt.received_on,
            recorded_by=by,
        )
    Payment.objects.bulk_create([receipt.payment for receipt in receipts], batch_size=chunk)
    paid = [receipt.application.pk for receipt in receipts]
    for start in range(0, len(paid), chunk):
        Application.objects.filter(pk__in=paid[start : start + chunk], state=State.AWAITING_PAYMENT).update(
            state=State.PAID, paid_at=now
        )
    AuditEntry.objects.bulk_create(
        [
            AuditEntry(
                society=society,
                actor=by,
                action="payment.recorded",
                summary=f"{format_money(receipt.amount)} for {receipt.application.payment_reference}: paid",
                data={"application": receipt.application.pk, "payment": receipt.payment.pk},
            )
            for receipt in receipts
        ],
        batch_size=chunk,
    )


def _settle(offer: Offer, holder: Holder, application: Application, payment: Payment) -> str:
    """Move a freshly paid application on, or owe the money back. Returns what happened."""
    reason = _refund_reason(offer, holder, application)
    if reason is None:
        application.transition_to(State.PAID)
        application.paid_at = timezone.now()
        application.save(update_fields=["state", "paid_at", "holds_reservation"])
        if not is_set_aside(offer, application):
            return "paid"
        try:
            with transaction.atomic():
                issue_set_aside_shares(offer=offer, application=application)
            return "paid; the shares set aside at allocation are issued"
        except PaymentError as refused:
            application.refresh_from_db()
            application.transition_to(State.REFUND_DUE)
            application.card_still_to_take = False
            application.save(update_fields=["state", "card_still_to_take"])
            owe_back(
                application=application,
                payment=payment,
                amount=payment.amount,
                reason=Refund.Reason.NO_CAPACITY,
            )
            return f"refund due ({refused})"
    if application.state in (State.AWAITING_PAYMENT, State.EXPIRED, State.CANCELLED):
        application.transition_to(State.REFUND_DUE)
        application.save(update_fields=["state"])
    owe_back(application=application, payment=payment, amount=payment.amount, reason=reason)
    return f"refund due ({Refund.Reason(reason).label.lower()})"


def _refund_reason(offer: Offer, holder: Holder, application: Application) -> str | None:
    """Why this payment must go back, or None if the application can take it.

    A lapsed first-come application that can still be taken has its shares reserved again here.
    """
    if application.paid_at:
        return Refund.Reason.DUPLICATE
    if application.state == State.AWAITING_PAYMENT:
        if is_set_aside(offer, application):  # its card, taken after the offer was allocated around it
            return None
        # Payments are taken until allocation: a bank transfer may land after the close.
        open_or_closed = offer.state in (Offer.State.OPEN, Offer.State.CLOSED)
        return None if open_or_closed else Refund.Reason.OFFER_CLOSED
    if application.state == State.CANCELLED:
        return Refund.Reason.CANCELLED if offer_is_accepting(offer) else Refund.Reason.OFFER_CLOSED
    if application.state == State.EXPIRED:
        if not offer_is_accepting(offer):
            return Refund.Reason.OFFER_CLOSED
        # Lapsed applications stopped counting towards the limits; count this one again.
        try:
            check_limits(offer=offer, holder=holder, shares=application.shares)
        except PaymentError:
            return Refund.Reason.OVER_LIMIT
        return None if _re_reserve(offer, application) else Refund.Reason.NO_CAPACITY
    return Refund.Reason.DUPLICATE


def _re_reserve(offer: Offer, application: Application) -> bool:
    if offer.policy != Offer.Policy.FIRST_COME:
        return True
    taken = Offer.objects.filter(
        pk=offer.pk, shares_reserved__lte=offer.capacity_shares - application.shares
    ).update(shares_reserved=F("shares_reserved") + application.shares)
    application.holds_reservation = bool(taken)
    return bool(taken)
