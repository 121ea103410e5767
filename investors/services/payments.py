"""Money in and money back: every received payment ends as shares or as a refund."""

import datetime
import logging

from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from djmoney.money import Money

from capital import permissions
from capital.models import Offer
from capital.money import format_money
from capital.services import offer_is_accepting, record_audit
from investors.errors import PaymentError
from investors.models import Application, Payment, Refund
from investors.services.applications import check_limits
from shares.models import Holder

State = Application.State
logger = logging.getLogger(__name__)


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
    return payment


def _settle(offer: Offer, holder: Holder, application: Application, payment: Payment) -> str:
    """Move a freshly paid application on, or owe the money back. Returns what happened."""
    reason = _refund_reason(offer, holder, application)
    if reason is None:
        application.transition_to(State.PAID)
        application.paid_at = timezone.now()
        application.save(update_fields=["state", "paid_at", "holds_reservation"])
        return "paid"
    if application.state in (State.AWAITING_PAYMENT, State.EXPIRED, State.CANCELLED):
        application.transition_to(State.REFUND_DUE)
        application.save(update_fields=["state"])
    owe_back(application=application, payment=payment, amount=payment.amount, reason=reason)
    return f"refund due ({Refund.Reason(reason).label.lower()})"


def owe_back(*, application: Application, payment: Payment | None, amount: Money, reason: str) -> Refund:
    """Put money on the refund list. A card refund is sent through Stripe once this commits;
    a bank refund waits for the treasurer."""
    payment = payment or application.payments.order_by("pk").first()
    refund = Refund.objects.create(application=application, payment=payment, amount=amount, reason=reason)
    by_card = payment is not None and payment.method == Application.PaymentMethod.CARD
    if by_card:
        transaction.on_commit(lambda: _enqueue_card_refund(refund.pk))
    transaction.on_commit(lambda: _tell_investor(refund.pk, by_card))
    return refund


def _tell_investor(refund_id: int, by_card: bool) -> None:
    """Email the investor. A mail failure is logged, never raised: it must not stop the other
    after-commit work (such as queueing the next card refund)."""
    try:
        _send_refund_email(refund_id, by_card)
    except Exception:
        logger.exception("Could not email the investor about refund %s", refund_id)


def _send_refund_email(refund_id: int, by_card: bool) -> None:
    refund = Refund.objects.select_related("application__holder", "application__offer").get(pk=refund_id)
    application = refund.application
    how = (
        "It is going back to the card you paid with; it usually shows within 5 to 10 working days."
        if by_card
        else "The treasurer will send it back to you by bank transfer."
    )
    send_mail(
        subject=f"Your refund of {format_money(refund.amount)} ({application.payment_reference})",
        message=(
            f"Dear {application.holder.name},\n\n"
            f"We are refunding {format_money(refund.amount)} of your payment for "
            f"{application.offer.title} (reference {application.payment_reference}).\n"
            f"Why: {refund.get_reason_display()}.\n{how}\n"
        ),
        from_email=None,
        recipient_list=[application.holder.email],
    )


def _enqueue_card_refund(refund_id: int) -> None:
    """Queue the Stripe refund. If queueing fails the refund stays due: `reconcile` lists it and
    `manage.py send_card_refunds` sends it."""
    from investors.tasks import send_card_refund  # the task module imports the services

    try:
        send_card_refund.enqueue(refund_id)
    except Exception:
        logger.exception("Could not send card refund %s now; it stays due", refund_id)


def _refund_reason(offer: Offer, holder: Holder, application: Application) -> str | None:
    """Why this payment must go back, or None if the application can take it.

    A lapsed first-come application that can still be taken has its shares reserved again here.
    """
    if application.paid_at:
        return Refund.Reason.DUPLICATE
    if application.state == State.AWAITING_PAYMENT:
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


def mark_refund_paid(*, refund: Refund, paid_reference: str, by=None) -> Refund:
    """The treasurer has sent the money back. The application is refunded once nothing is due."""
    permissions.require(by, "record_payments", refund.application.offer.society)
    if not paid_reference:
        raise PaymentError("Give the bank reference of the refund you sent.")
    with transaction.atomic():
        refund = Refund.objects.select_for_update().select_related("application").get(pk=refund.pk)
        if refund.state == Refund.State.PAID:
            return refund
        refund.state = Refund.State.PAID
        refund.paid_at = timezone.now()
        refund.paid_reference = paid_reference
        refund.save(update_fields=["state", "paid_at", "paid_reference"])
        application = Application.objects.select_for_update().get(pk=refund.application_id)
        still_due = application.refunds.filter(state=Refund.State.DUE).exists()
        if application.state == State.REFUND_DUE and not still_due:
            application.transition_to(State.REFUNDED)
            application.save(update_fields=["state"])
        record_audit(
            society=application.offer.society,
            actor=by,
            action="refund.paid",
            summary=f"{format_money(refund.amount)} back to {application.holder} ({paid_reference})",
            refund=refund.pk,
        )
    return refund
