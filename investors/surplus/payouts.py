"""Who a surplus run cannot pay by bank file yet: members owed a dividend in money, and holders
owed by the investor runs it approved, who gave no payout account. The rule is
`investors.payouts.resolution`'s, as for distribution runs; a dividend is resolved here, an
investor run's line from that run's lines (`investors.runs.payouts`)."""

from django.db import transaction
from django.db.models import QuerySet

from capital import permissions
from capital.money import format_money
from capital.services import record_audit
from investors.errors import SurplusRunError
from investors.models import SurplusLine, SurplusRun
from investors.payouts.resolution import put_back_in_file, refuse_while_unresolved, set_resolution, unresolved
from investors.runs.payouts import owed_money

WHERE = "from the surplus dividends (and the investor runs' lines)"


def owed(run: SurplusRun) -> list[QuerySet]:
    """Every row the run's payment file pays: the dividends in money, then each investor run's."""
    dividends = run.lines.filter(cash__gt=0).order_by("part", "pk")
    return [dividends, *(owed_money(investor_run) for investor_run in run.investor_runs.order_by("pk"))]


def rows_without_payout_account(run: SurplusRun) -> list:
    return unresolved(*owed(run))


def refuse_while_accounts_missing(run: SurplusRun, doing: str) -> None:
    refuse_while_unresolved(*owed(run), doing=doing, where=WHERE, error=SurplusRunError)


def resolve_dividend_payout(*, line: SurplusLine, payout: str, note: str, by) -> SurplusLine:
    """Take one member's dividend out of the payment file: paid another way, or held. Audited.
    Only on an approved surplus run not yet recorded as paid."""
    permissions.require(by, "pay_runs", line.run.society)
    with transaction.atomic():
        line = _locked_approved(line)
        set_resolution(line, payout=payout, note=note, error=SurplusRunError)
        _audit(line, by, f"{line.get_payout_display().lower()}: {line.payout_note}")
    return line


def return_dividend_to_file(*, line: SurplusLine, by) -> SurplusLine:
    """Put a held dividend back in the payment file (the member has given an account). Audited."""
    permissions.require(by, "pay_runs", line.run.society)
    with transaction.atomic():
        line = _locked_approved(line)
        put_back_in_file(line, error=SurplusRunError)
        _audit(line, by, "back in the payment file")
    return line


def _locked_approved(line: SurplusLine) -> SurplusLine:
    SurplusRun.objects.select_for_update(of=("self",)).filter(pk=line.run_id).first()
    line = (
        SurplusLine.objects.select_for_update(of=("self",))
        .select_related("holder", "run__society")
        .get(pk=line.pk)
    )
    if line.run.state != SurplusRun.State.APPROVED:
        raise SurplusRunError(
            "Payments are resolved on an approved surplus run that is not yet recorded as paid; "
            f"this one is {line.run.get_state_display().lower()}."
        )
    return line


def _audit(line: SurplusLine, by, what: str) -> None:
    run = line.run
    record_audit(
        society=run.society,
        actor=by,
        action="surplus_run.line_payout",
        summary=(
            f"Year ending {run.ends_on:%-d %B %Y}: {line.get_part_display()} dividend of "
            f"{format_money(run.society.money(line.cash))} to {line.holder.name} {what}"
        ),
        surplus_run=run.pk,
        line=line.pk,
        payout=line.payout,
    )
