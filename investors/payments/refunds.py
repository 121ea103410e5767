"""Money going back: owing it, sending a card refund through Stripe, and marking a refund paid.

Everything about a refund lives here, so that "nothing lost, nothing doubled" has one home: a
refund is owed in the transaction that decides it, a card refund is sent once that commits
(by a background task whose idempotency key is the refund's own id), and a bank refund waits
for the treasurer.
"""

import logging

from django.db import transaction
from django.utils import timezone
from django_tasks import task
from djmoney.money import Money

from capital import permissions
from capital.money import format_money
from capital.services import record_audit
from investors.errors import PaymentError
from investors.models import Application, BankStatementLine, Payment, Refund
from investors.notify import email_holder
from investors.payments import gateway

CARD = Application.PaymentMethod.CARD
logger = logging.getLogger(__name__)


def return_short_lines(
    *, application: Application, why: str, reason: str = Refund.Reason.CANCELLED
) -> list[Refund]:
    """Money received short of an application that has ended unpaid goes on its refund list,
    each bank line noted `why`: nothing received is kept without shares for it."""
    refunds = []
    for line in BankStatementLine.objects.select_for_update().filter(
        application=application, status=BankStatementLine.Status.SHORT
    ):
        refunds.append(owe_back(application=application, payment=None, amount=line.amount, reason=reason))
        line.status = BankStatementLine.Status.TO_REFUND
        line.note = f"{application.payment_reference} {why}: on its refund list."
        line.save(update_fields=["status", "note"])
    return refunds


def owe_back(*, application: Application, payment: Payment | None, amount: Money, reason: str) -> Refund:
    """Put money on the refund list and tell the investor. A card refund is sent through Stripe
    once this commits; a bank refund waits for the treasurer."""
    payment = payment or application.payments.order_by("pk").first()
    refund = Refund.objects.create(application=application, payment=payment, amount=amount, reason=reason)
    by_card = payment is not None and payment.method == CARD
    if by_card:
        transaction.on_commit(lambda: _enqueue_card_refund(refund.pk))
    email_holder(
        holder=application.holder,
        template="refund",
        subject=f"Your refund of {format_money(amount)} ({application.payment_reference})",
        refund=refund,
        application=application,
        amount=format_money(amount),
        by_card=by_card,
    )
    return refund


def _enqueue_card_refund(refund_id: int) -> None:
    """Queue the Stripe refund. If queueing fails the refund stays due: `reconcile` lists it and
    `manage.py send_card_refunds` sends it."""
    try:
        send_card_refund_task.enqueue(refund_id)
    except Exception:
        logger.exception("Could not send card refund %s now; it stays due", refund_id)


@task(queue_name="refunds")
def send_card_refund_task(refund_id: int) -> str:
    """Send one refund through Stripe; idempotent, so a retry never refunds twice."""
    return send_card_refund(refund_id=refund_id)


def send_card_refund(*, refund_id: int) -> str:
    """Send a refund due on a card payment back through Stripe, and mark it paid.

    The idempotency key is the refund's own id, so running this again after a crash (or
    twice at once) refunds the money once.
    """
    refund = Refund.objects.select_related("payment", "application").get(pk=refund_id)
    if refund.state == Refund.State.PAID:
        return "already paid"
    if refund.payment is None or refund.payment.method != CARD:
        return "not a card payment: the treasurer refunds it by bank transfer"
    stripe_refund_id = gateway.refund(
        intent_id=refund.payment.provider_reference,
        amount=refund.amount,
        idempotency_key=f"commonshare-refund-{refund.pk}",
        metadata={"refund_id": refund.pk, "payment_reference": refund.application.payment_reference},
    )
    mark_refund_paid(refund=refund, paid_reference=stripe_refund_id)
    return stripe_refund_id


def send_due_card_refunds() -> list[str]:
    """Retry every card refund still due (e.g. after Stripe was unreachable); one failure does
    not stop the others."""
    results = []
    for refund_id in Refund.objects.filter(state=Refund.State.DUE, payment__method=CARD).values_list(
        "pk", flat=True
    ):
        try:
            results.append(f"refund {refund_id}: {send_card_refund(refund_id=refund_id)}")
        except PaymentError as error:
            results.append(f"refund {refund_id}: not sent ({error})")
    return results


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
        if application.state == Application.State.REFUND_DUE and not still_due:
            application.transition_to(Application.State.REFUNDED)
            application.save(update_fields=["state"])
        record_audit(
            society=application.offer.society,
            actor=by,
            action="refund.paid",
            summary=f"{format_money(refund.amount)} back to {application.holder} ({paid_reference})",
            refund=refund.pk,
        )
        email_holder(
            holder=application.holder,
            template="refund_sent",
            subject=f"Your refund of {format_money(refund.amount)} has been sent "
            f"({application.payment_reference})",
            refund=refund,
            application=application,
            society=application.offer.society,
            amount=format_money(refund.amount),
            by_card=refund.payment is not None and refund.payment.method == CARD,
        )
    return refund
