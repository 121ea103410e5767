"""The treasurer's decisions on bank lines that did not match by themselves: match one to an
application, put it on the refund list, record it sent back, or dismiss it with a reason.

Nothing received is ever dropped. A line matched to an application for less than it is owed is
kept against the application (status short) and the investor is asked for the rest; once the
lines together make the amount, the payment is recorded. Otherwise its money is owed back: a
refund on the application's refund list, or, for a line no application explains, the line
itself waits on the list until the treasurer records it sent back. Each decision is audited.
"""

from dataclasses import dataclass

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from djmoney.money import Money

from capital import permissions
from capital.money import format_money
from capital.services import record_audit
from investors.errors import PaymentError
from investors.models import Application, BankStatementLine, Refund
from investors.notify import email_holder
from investors.payments.refunds import owe_back
from investors.payments.services import confirm_payment

Status = BankStatementLine.Status
OPEN = (*BankStatementLine.UNMATCHED, Status.SHORT)
REQUEST_REST, REFUND = "request_rest", "refund"


@dataclass(frozen=True)
class MatchOutcome:
    line: BankStatementLine
    application: Application
    outcome: str  # "paid", "short" or "refund"
    rest: Money | None = None

    def summary(self) -> str:
        reference = self.application.payment_reference
        if self.outcome == "paid":
            return f"{reference} is paid ({format_money(self.application.amount)} received)."
        if self.outcome == "short":
            return (
                f"{format_money(self.line.amount)} is recorded for {reference}; the investor is asked "
                f"for {format_money(self.rest)} more."
            )
        return f"{format_money(self.line.amount)} is on the refund list for {reference}."


def application_for_reference(*, society, reference: str) -> Application:
    """The society's application with this payment reference (CS-XXXXXXXX, any case)."""
    code = reference.strip().upper()
    if code and not code.startswith("CS-"):
        code = f"CS-{code.removeprefix('CS').strip(' -')}"
    application = (
        Application.objects.filter(payment_reference=code, offer__share_class__society=society)
        .select_related("holder", "offer__share_class__society")
        .first()
    )
    if application is None:
        raise PaymentError(f"No application of {society} has the reference {reference.strip() or '(none)'}.")
    return application


def match_bank_line(
    *, line: BankStatementLine, application: Application, by, short: str = REQUEST_REST
) -> MatchOutcome:
    """Match `line` to `application`. Exactly what is owed (with any short lines already kept
    for it): the payment is recorded. Less: kept, and the rest asked for (`short` "request_rest"),
    or owed back ("refund"). More: refused; put the line on the refund list instead."""
    permissions.require(by, "record_payments", line.society)
    if application.offer.share_class.society_id != line.society_id:
        raise PaymentError("That application belongs to another society.")
    with transaction.atomic():
        line = _locked(line, OPEN)
        if line.status == Status.SHORT and line.application_id == application.pk:
            raise PaymentError(
                "This line is already kept against that application; match the rest when it comes."
            )
        application = Application.objects.select_related("holder", "offer__share_class__society").get(
            pk=application.pk
        )
        if line.amount.amount <= 0:
            raise PaymentError("This line is money out, not a receipt: dismiss it instead.")
        if application.payments.exists():
            raise PaymentError(
                f"{application.payment_reference} is already paid: put this line on the refund list, "
                "or match it to the application it is for."
            )
        kept = BankStatementLine.objects.filter(application=application, status=Status.SHORT).exclude(
            pk=line.pk
        )
        before = kept.aggregate(total=Sum("amount"))["total"] or 0
        total = line.amount + Money(before, line.amount.currency)
        if total > application.amount:
            raise PaymentError(
                f"{format_money(total)} is more than {application.payment_reference}'s "
                f"{format_money(application.amount)}: put the line on the refund list, or match it to "
                "the application it is for."
            )
        line.application = application
        if total == application.amount:
            outcome = _record_whole(line, application, kept, by)
            rest = None
        elif short == REFUND:
            outcome, rest = "refund", None
            owe_back(
                application=application, payment=None, amount=line.amount, reason=Refund.Reason.NOT_MATCHING
            )
            _decide(line, Status.TO_REFUND, f"On {application.payment_reference}'s refund list.", by)
        else:
            outcome, rest = "short", application.amount - total
            received = f"{format_money(total)} of {format_money(application.amount)}"
            _decide(line, Status.SHORT, f"{received} received; {format_money(rest)} asked for.", by)
            email_holder(
                holder=application.holder,
                template="payment_short",
                subject=f"We received {received} ({application.payment_reference})",
                application=application,
                received=format_money(total),
                rest=format_money(rest),
            )
        result = MatchOutcome(line, application, outcome, rest)
        record_audit(
            society=line.society,
            actor=by,
            action="bank_line.matched",
            summary=f"Bank line {line.date} {format_money(line.amount)} {line.reference!r}: "
            + result.summary(),
            line=line.pk,
            application=application.pk,
            outcome=outcome,
        )
    return result


def _record_whole(line, application, kept, by) -> str:
    """The lines together make the application's amount: one payment for it, named after the
    last line, and every line marked matched."""
    payment = confirm_payment(
        application=application,
        amount=application.amount,
        method=Application.PaymentMethod.BANK_TRANSFER,
        provider_reference=f"statement:{line.society_id}:{line.line_key}",
        received_on=line.date,
        by=by,
    )
    line.payment = payment
    others = list(kept.values_list("pk", flat=True))
    note = "Matched by the treasurer" + (f", with line(s) {', '.join(map(str, others))}" if others else "")
    _decide(line, Status.MATCHED, note + ".", by)
    kept.update(status=Status.MATCHED, note=f"Matched together with line {line.pk}.")
    application.refresh_from_db()
    return "paid"


def refund_bank_line(*, line: BankStatementLine, reason: str, by) -> BankStatementLine:
    """Put a line no application explains on the refund list: it waits there, with the reason,
    until the treasurer records the money sent back to the account it came from."""
    permissions.require(by, "record_payments", line.society)
    reason = _reason(reason, "Say why it goes back (for example: no application has this reference).")
    with transaction.atomic():
        line = _locked(line, BankStatementLine.UNMATCHED)
        if line.amount.amount <= 0:
            raise PaymentError("This line is money out, not a receipt: dismiss it instead.")
        _decide(line, Status.TO_REFUND, reason, by)
        _audit(line, by, "bank_line.to_refund", f"to be sent back: {reason}")
    return line


def record_line_sent_back(*, line: BankStatementLine, reference: str, by) -> BankStatementLine:
    permissions.require(by, "record_payments", line.society)
    reference = _reason(reference, "Give the bank's reference for the money sent back.")
    with transaction.atomic():
        line = _locked(line, (Status.TO_REFUND,))
        if (
            line.application_id
            and Refund.objects.filter(application=line.application_id, state=Refund.State.DUE).exists()
        ):
            raise PaymentError("This line is on its application's refund list: mark that refund paid there.")
        _decide(line, Status.SENT_BACK, f"{line.note} Sent back: {reference}.", by)
        _audit(line, by, "bank_line.sent_back", f"sent back ({reference})")
    return line


def dismiss_bank_line(*, line: BankStatementLine, reason: str, by) -> BankStatementLine:
    """Take a line off the list for good: money out, a transfer between the society's own
    accounts, a gift it keeps. The reason is kept on the line and in the audit."""
    permissions.require(by, "record_payments", line.society)
    reason = _reason(reason, "Say why this line needs nothing more (for example: a gift the society keeps).")
    with transaction.atomic():
        line = _locked(line, BankStatementLine.UNMATCHED + (Status.NOT_RECEIPT,))
        _decide(line, Status.DISMISSED, reason, by)
        _audit(line, by, "bank_line.dismissed", f"dismissed: {reason}")
    return line


def _locked(line: BankStatementLine, allowed) -> BankStatementLine:
    line = BankStatementLine.objects.select_for_update(of=("self",)).select_related("society").get(pk=line.pk)
    if line.status not in allowed:
        raise PaymentError(f"This line is {line.get_status_display().lower()} already; nothing to decide.")
    return line


def _decide(line, status, note, by) -> None:
    line.status, line.note, line.decided_by, line.decided_at = status, note, by, timezone.now()
    line.save()


def _audit(line, by, action, what) -> None:
    record_audit(
        society=line.society,
        actor=by,
        action=action,
        summary=f"Bank line {line.date} {format_money(line.amount)} {line.reference!r} {what}",
        line=line.pk,
    )


def _reason(text: str, message: str) -> str:
    text = (text or "").strip()
    if not text:
        raise PaymentError(message)
    return text
