"""Who a run cannot pay by bank file yet: holders owed money who gave no payout account.

The payment file and "record the run as paid" refuse while any such line is unresolved. The
treasurer resolves each one: the holder gives an account (from their dashboard), the money is
paid another way (a cheque, say), or it is held until they give one. Held and otherwise-paid
lines stay out of the payment file.
"""

from django.db import transaction
from django.db.models import Q, QuerySet

from capital import permissions
from capital.money import format_money
from capital.services import record_audit
from investors.errors import RunError
from investors.models import DistributionLine, DistributionRun
from investors.payouts.accounts import holders_without_details

Payout = DistributionLine.Payout
NAMED = 10  # holders named in a refusal; the rest are counted


def owed_money(run: DistributionRun) -> QuerySet:
    """The lines that send money to a bank account: returns in money or capital repaid."""
    return DistributionLine.objects.filter(run=run).filter(Q(cash__gt=0) | Q(redeemed__gt=0))


def lines_without_payout_account(run: DistributionRun) -> list[DistributionLine]:
    """Lines still meant for the payment file whose holder has no complete payout account."""
    waiting = owed_money(run).filter(payout=Payout.BANK_FILE)
    holder_ids = set(waiting.values_list("holder_id", flat=True))
    missing = holders_without_details(holder_ids)
    return list(waiting.filter(holder_id__in=missing).select_related("holder").order_by("holding_id"))


def missing_accounts_sentence(lines: list[DistributionLine]) -> str:
    names = ", ".join(line.holder.name for line in lines[:NAMED])
    more = f" and {len(lines) - NAMED} more" if len(lines) > NAMED else ""
    if len(lines) == 1:
        return f"1 holder owed money has no payout account: {names}."
    return f"{len(lines)} holders owed money have no payout account: {names}{more}."


def refuse_while_accounts_missing(run: DistributionRun, doing: str) -> None:
    lines = lines_without_payout_account(run)
    if lines:
        raise RunError(
            f"{missing_accounts_sentence(lines)} Before {doing}, resolve each from the run's lines: "
            "ask them to give an account on their dashboard, record it paid another way, or hold it."
        )


def resolve_line_payout(*, line: DistributionLine, payout: str, note: str, by) -> DistributionLine:
    """Take one holder's payment out of the payment file: paid another way, or held. Audited.
    Only on an approved run not yet recorded as paid (a draft's lines are replaced when the
    year is started again)."""
    run = line.run
    permissions.require(by, "pay_runs", run.society)
    if payout not in (Payout.PAID_OTHER_WAY, Payout.HELD):
        raise RunError("Choose paid another way, or held.")
    note = note.strip()
    if not note:
        raise RunError("Say how the holder was paid, or why the payment is held.")
    with transaction.atomic():
        run = (
            DistributionRun.objects.select_for_update(of=("self",))
            .select_related("share_class__society")
            .get(pk=run.pk)
        )
        if run.state != DistributionRun.State.APPROVED:
            raise RunError(
                "Payments are resolved on an approved run that is not yet recorded as paid; "
                f"this one is {run.get_state_display().lower()}."
            )
        line = _locked_line(line)
        line.payout, line.payout_note = payout, note
        line.save(update_fields=["payout", "payout_note"])
        record_audit(
            society=run.society,
            actor=by,
            action="run.line_payout",
            summary=(
                f"{run.share_class.name}, year {run.year}: "
                f"{format_money(run.society.money(line.bank_amount))} to {line.holder.name} "
                f"{line.get_payout_display().lower()}: {note}"
            ),
            run=run.pk,
            line=line.pk,
            payout=payout,
        )
    return line


def return_line_to_file(*, line: DistributionLine, by) -> DistributionLine:
    """Put a held payment back in the payment file (the holder has given an account). Audited."""
    run = line.run
    permissions.require(by, "pay_runs", run.society)
    with transaction.atomic():
        line = _locked_line(line)
        if line.run.state != DistributionRun.State.APPROVED or line.payout != Payout.HELD:
            raise RunError("Only a held payment of a run not yet recorded as paid goes back in the file.")
        line.payout, line.payout_note = Payout.BANK_FILE, ""
        line.save(update_fields=["payout", "payout_note"])
        record_audit(
            society=run.society,
            actor=by,
            action="run.line_payout",
            summary=(
                f"{run.share_class.name}, year {run.year}: {line.holder.name}'s payment is back "
                "in the payment file"
            ),
            run=run.pk,
            line=line.pk,
            payout=Payout.BANK_FILE,
        )
    return line


def _locked_line(line: DistributionLine) -> DistributionLine:
    return (
        DistributionLine.objects.select_for_update(of=("self",))
        .select_related("holder", "run__share_class__society")
        .get(pk=line.pk)
    )
