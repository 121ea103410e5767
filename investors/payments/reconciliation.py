"""Reconciliation: every penny received accounted for, here and in Stripe."""

from dataclasses import dataclass, field
from datetime import timedelta

from django.db.models import Q, Sum
from django.utils import timezone
from djmoney.money import Money

from capital.models import Offer, Society
from capital.money import format_money
from investors.models import Application, BankStatementLine, CardPayment, Payment, Refund, WebhookEvent
from investors.payments import gateway

STUCK_AFTER = timedelta(minutes=10)


@dataclass
class Reconciliation:
    problems: list[str] = field(default_factory=list)
    checked_payments: int = 0
    checked_intents: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems


def reconcile(society: Society | None = None) -> Reconciliation:
    """Report payments without an outcome, refunds still owed, bank lines not matched,
    PaymentIntents in Stripe the platform does not know, and amounts that disagree."""
    report = Reconciliation()
    # Refunds and card payments come in two prefetch queries, not several queries per payment.
    payments = Payment.objects.select_related("application__offer", "application__holder").prefetch_related(
        "refunds", "application__card_payments"
    )
    if society is not None:
        payments = payments.filter(application__offer__share_class__society=society)
    for payment in payments.iterator(chunk_size=2000):
        report.checked_payments += 1
        problem = _payment_problem(payment)
        if problem:
            report.problems.append(
                f"{payment.application.payment_reference} ({payment.provider_reference}): {problem}"
            )
    _unmatched_bank_lines(society, report)
    _holds_left(society, report)
    _unmatched_events(society, report)
    if gateway.is_configured():
        try:
            _stripe_intents(society, report)
        except gateway.StripeUnavailable as error:
            report.problems.append(f"Stripe's payments were not checked: {error}")
    return report


def _payment_problem(payment: Payment) -> str | None:
    application = payment.application
    refunds = list(payment.refunds.all())
    outside = [refund for refund in refunds if refund.reason == Refund.Reason.REFUNDED_OUTSIDE]
    if outside and application.state in (Application.State.PAID, Application.State.ALLOCATED):
        amounts = ", ".join(format_money(refund.amount) for refund in outside)
        return (
            f"{amounts} refunded in Stripe outside the platform, yet the application is {application.state}"
        )
    if any(
        card.intent_id == payment.provider_reference and card.disputed
        for card in application.card_payments.all()
    ):
        return f"the card holder disputed this payment; the application is {application.state}"
    due = [refund for refund in refunds if refund.state == Refund.State.DUE]
    if due:
        amounts = ", ".join(format_money(refund.amount) for refund in due)
        return f"refund of {amounts} still owed to {application.holder}"
    if application.state == Application.State.PAID and application.offer.state in (
        Offer.State.ALLOCATED,
        Offer.State.FAILED,
    ):
        return "paid, but neither allocated nor refunded"
    if application.state == Application.State.REFUND_DUE and not refunds:
        return "marked for refund, but no refund is recorded"
    return None


def _unmatched_bank_lines(society, report) -> None:
    """Lines waiting for the treasurer, lines kept short of their application, and money no
    application explains that is still to be sent back."""
    waiting = BankStatementLine.objects.filter(
        Q(status__in=[*BankStatementLine.UNMATCHED, BankStatementLine.Status.SHORT])
        | Q(status=BankStatementLine.Status.TO_REFUND, application__isnull=True)
    )
    if society is not None:
        waiting = waiting.filter(society=society)
    for line in waiting:
        report.problems.append(
            f"Bank line {line.date} {format_money(line.amount)} {line.reference!r}: "
            f"{line.get_status_display()}."
        )


def _holds_left(society, report) -> None:
    """Card holds still on a card whose application no longer waits for them (released when
    Stripe could not be reached): Stripe lets them lapse, but the investor's bank shows them."""
    holds = CardPayment.objects.filter(held=True, status=CardPayment.Status.AUTHORISED).exclude(
        application__state=Application.State.AWAITING_PAYMENT,
        application__offer__state__in=[Offer.State.OPEN, Offer.State.CLOSED],
    )
    if society is not None:
        holds = holds.filter(application__offer__share_class__society=society)
    for hold in holds.select_related("application"):
        report.problems.append(
            f"{hold.application.payment_reference} ({hold.intent_id}): {format_money(hold.amount)} still "
            f"held on the card, but the application is {hold.application.get_state_display().lower()}; "
            "release it in Stripe (it lapses seven days after it was made)."
        )


def _unmatched_events(society, report) -> None:
    """Stripe events kept for the treasurer (unmatched, malformed, never processed). A society's
    report shows the events of its own card payments only; the platform's shows every one."""
    kept = [WebhookEvent.Outcome.UNMATCHED, WebhookEvent.Outcome.FAILED]
    events = WebhookEvent.objects.filter(outcome__in=kept).order_by("received_at")
    stuck = WebhookEvent.objects.filter(
        outcome=WebhookEvent.Outcome.PENDING, received_at__lt=timezone.now() - STUCK_AFTER
    )
    if society is not None:
        ours = set(
            CardPayment.objects.filter(application__offer__share_class__society=society).values_list(
                "intent_id", flat=True
            )
        )
        events = [event for event in events if _intent_of(event) in ours]
        stuck = [event for event in stuck if _intent_of(event) in ours]
    for event in events:
        report.problems.append(f"Stripe event {event.event_id} ({event.type}): {event.note}")
    for event in stuck:
        report.problems.append(
            f"Stripe event {event.event_id} ({event.type}) was received {event.received_at:%Y-%m-%d %H:%M} "
            "but never processed."
        )


def _intent_of(event: WebhookEvent) -> str | None:
    """The PaymentIntent an event is about, read from its stored payload however it is shaped."""
    data = event.payload.get("data") if isinstance(event.payload, dict) else None
    obj = data.get("object") if isinstance(data, dict) else None
    if not isinstance(obj, dict):
        return None
    intent = obj.get("payment_intent") if obj.get("object") != "payment_intent" else obj.get("id")
    return intent if isinstance(intent, str) else obj.get("id") if isinstance(obj.get("id"), str) else None


def _stripe_intents(society, report) -> None:
    known = {
        card.intent_id: card for card in CardPayment.objects.select_related("application__offer__share_class")
    }
    paid = {
        payment.provider_reference: payment
        for payment in Payment.objects.filter(method=Application.PaymentMethod.CARD)
    }
    for intent in gateway.all_intents():
        if intent.status != "succeeded":
            continue
        if intent.amount is None:
            report.problems.append(
                f"Stripe payment {intent.id} in {intent.currency.upper()} is unknown here "
                "(the platform takes only GBP and EUR)."
            )
            continue
        card = known.get(intent.id)
        if (
            card is not None
            and society is not None
            and card.application.offer.share_class.society_id != society.pk
        ):
            continue
        report.checked_intents += 1
        if card is None:
            report.problems.append(
                f"Stripe payment {intent.id} of {format_money(intent.amount)} is unknown here."
            )
        elif intent.id not in paid:
            report.problems.append(
                f"Stripe payment {intent.id} of {format_money(intent.amount)} succeeded but is not recorded "
                f"for {card.application.payment_reference}."
            )
        else:
            problem = _amounts_problem(intent, card, paid[intent.id])
            if problem:
                report.problems.append(problem)


def _amounts_problem(intent: gateway.Intent, card: CardPayment, payment: Payment) -> str | None:
    """Whether Stripe and the platform agree on what a card gave and what went back.

    For a hold captured in part, Stripe keeps the authorised amount on the intent and shows the
    part left untaken as refunded; the platform counts that part as released, not as a refund.
    """
    received = intent.amount_received if intent.amount_received is not None else intent.amount - card.released
    if payment.amount != received:
        return (
            f"Stripe payment {intent.id} is {format_money(received)} in Stripe but "
            f"{format_money(payment.amount)} here."
        )
    if intent.amount_refunded is None:
        return None
    ours = payment.refunds.filter(state=Refund.State.PAID).aggregate(total=Sum("amount"))["total"] or 0
    ours = Money(ours, intent.amount.currency)
    if intent.amount_refunded != ours + card.released and intent.amount_refunded != ours:
        return (
            f"Stripe payment {intent.id}: {format_money(intent.amount_refunded)} refunded in Stripe "
            f"but {format_money(ours)} here."
        )
    return None
