"""Who a distribution run cannot pay by bank file yet: holders owed money who gave no payout
account. The rule is `investors.payouts.resolution`'s, shared with surplus runs and
redemptions; this module says which of a run's lines it applies to and audits each resolution.
"""

from django.db import transaction
from django.db.models import Q, QuerySet

from capital import permissions
from capital.money import format_money
from capital.services import record_audit
from investors.errors import RunError
from investors.models import DistributionLine, DistributionRun
from investors.payouts.resolution import (
    put_back_in_file,
    refuse_while_unresolved,
    set_resolution,
    unresolved,
)

Payout = DistributionLine.Payout
WHERE = "from the run's lines"


def owed_money(run: DistributionRun) -> QuerySet:
    """The lines that send money to a bank account: returns in money or capital repaid."""
    return DistributionLine.objects.filter(run=run).filter(Q(cash__gt=0) | Q(redeemed__gt=0))


def lines_without_payout_account(run: DistributionRun) -> list[DistributionLine]:
    """Lines still meant for the payment file whose holder has no complete payout account."""
    return unresolved(owed_money(run).order_by("holding_id"))


def refuse_while_accounts_missing(run: DistributionRun, doing: str) -> None:
    refuse_while_unresolved(owed_money(run), doing=doing, where=WHERE, error=RunError)


def resolve_line_payout(*, line: DistributionLine, payout: str, note: str, by) -> DistributionLine:
    """Take one holder's payment out of the payment file: paid another way, or held. Audited.
    Only on an approved run not yet recorded as paid (a draft's lines are replaced when the
    year is started again)."""
    run = line.run
    permissions.require(by, "pay_runs", run.society)
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
        set_resolution(line, payout=payout, note=note, error=RunError)
        record_audit(
            society=run.society,
            actor=by,
            action="run.line_payout",
            summary=(
                f"{run.share_class.name}, year {run.year}: "
                f"{format_money(run.society.money(line.bank_amount))} to {line.holder.name} "
                f"{line.get_payout_display().lower()}: {line.payout_note}"
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
        if line.run.state != DistributionRun.State.APPROVED:
            raise RunError("Only a held payment of a run not yet recorded as paid goes back in the file.")
        put_back_in_file(line, error=RunError)
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
