"""A surplus run's payment file for the bank: the Labour and User parts paid in money, then the
investor classes' runs, all from the stored lines, never worked out again."""

from decimal import Decimal

from django.db.models import F, Sum

from capital.money import format_money
from investors.errors import SurplusRunError
from investors.models import DistributionLine, SurplusRun
from investors.models.payouts import Payout
from investors.runs.exports import payment_file_text, payment_row, payment_rows
from investors.surplus.payouts import refuse_while_accounts_missing


def surplus_payment_file_csv(run: SurplusRun) -> str:
    """One row per payment an approved surplus run makes: each member's Labour or User dividend
    paid in money (reference `SURPLUS26 L H<holder>`), then each investor run's own rows.
    Refused while anyone owed money has no payout account and was not paid another way or held
    (those leave the file)."""
    if run.state not in SurplusRun.DECIDED:
        raise SurplusRunError("This surplus run is a draft: approve it before making the payment file.")
    refuse_while_accounts_missing(run, "making the payment file")
    return payment_file_text(_rows(run))


def _rows(run: SurplusRun):
    lines = (
        run.lines.filter(cash__gt=0, payout=Payout.BANK_FILE)
        .select_related("holder__payout_account")
        .order_by("part", "pk")
    )
    for line in lines.iterator(chunk_size=2000):
        reference = f"SURPLUS{run.ends_on:%y} {line.part[0].upper()} H{line.holder_id}"
        yield payment_row(line.holder, line.cash, reference)
    for investor_run in run.investor_runs.order_by("pk"):
        yield from payment_rows(investor_run)


def payment_total(run: SurplusRun) -> str:
    """What the file pays in all, as the board's pages say it."""
    cash = run.lines.aggregate(total=Sum("cash"))["total"] or Decimal("0")
    investor = DistributionLine.objects.filter(run__in=run.investor_runs.all()).aggregate(
        total=Sum(F("cash") + F("redeemed"))
    )["total"] or Decimal("0")
    return format_money(run.society.money(cash + investor))
