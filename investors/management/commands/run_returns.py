"""`manage.py run_returns SOCIETY CLASS YEAR --surplus 50000 [--approve]`: a distribution run
from the shell. Prints the preview; approves it (as the system) only when asked."""

from decimal import Decimal

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q, Sum

from capital.errors import Refusal
from capital.management import decimal_option, society_from_slug
from capital.models import ShareClass
from capital.money import format_money
from investors.models import DistributionRun
from investors.runs.exports import payment_file_csv
from investors.runs.services import approve_run, start_run


class Command(BaseCommand):
    help = (
        "Work out a share class's returns for one financial year on the register and print the "
        "preview; --approve approves it (cancelling capped holdings, redeeming at term end and "
        "issuing interest taken as shares), --payment-file writes the bank's CSV."
    )

    def add_arguments(self, parser):
        parser.add_argument("society", help="The society's slug.")
        parser.add_argument("share_class", metavar="class", help="The share class's name or id.")
        parser.add_argument("year", type=int, help="The financial year's number in the schedule (from 1).")
        parser.add_argument("--surplus", help="The year's declared surplus (profit share), e.g. 50000.")
        parser.add_argument("--rate", help="The declared interest rate in percent (interest), e.g. 3.5.")
        parser.add_argument("--approve", action="store_true", help="Approve the run after the preview.")
        parser.add_argument("--payment-file", help="Write the payment file here (needs --approve).")

    def handle(self, *args, society, share_class, year, surplus, rate, approve, payment_file, **options):
        if payment_file and not approve:
            raise CommandError("A payment file is made from an approved run: add --approve.")
        chosen = _share_class(society, share_class)
        try:
            run = start_run(
                share_class=chosen,
                year=year,
                surplus=decimal_option(surplus, "--surplus"),
                declared_rate_percent=decimal_option(rate, "--rate"),
            )
            self._preview(run)
            if approve:
                run = approve_run(run=run, by=None)
        except Refusal as error:
            raise CommandError(str(error)) from error
        if not approve:
            self.stdout.write("Not approved: run the command again with --approve to approve it.")
            return
        self.stdout.write(f"Approved run {run.pk}.")
        if payment_file:
            try:
                text = payment_file_csv(run)
            except Refusal as error:
                raise CommandError(f"The run is approved; no payment file yet. {error}") from error
            with open(payment_file, "w", encoding="utf-8", newline="") as out:
                out.write(text)
            payments = run.lines.filter(Q(cash__gt=0) | Q(redeemed__gt=0)).count()
            self.stdout.write(f"Payment file written to {payment_file} ({payments} payments).")

    def _preview(self, run: DistributionRun) -> None:
        if run.is_interest:
            declared = f"rate {run.declared_rate_percent}%"
        else:
            declared = f"surplus {format_money(run.surplus)}"
        self.stdout.write(
            f"{run.share_class.name} of {run.share_class.society}, year {run.year} "
            f"({run.starts_on} to {run.ends_on}), draft run {run.pk}"
        )
        self.stdout.write(f"Declared {declared}; pool {format_money(run.pool)}")
        header = f"{'holding':>8}  {'holder':<24} {'capital':>12} {'days':>4} {'paid':>11} {'redeemed':>11}"
        header += f" {'cumulative':>12}  {'status':<8}"
        if run.is_interest:
            header += f" {'cash':>10} {'shares':>6}"
        self.stdout.write(header)
        for line in run.lines.select_related("holder").order_by("holding_id").iterator(chunk_size=2000):
            row = (
                f"{line.holding_id:>8}  {line.holder.name[:24]:<24} {line.capital:>12,.2f} "
                f"{line.days_held:>4} {line.paid:>11,.2f} {line.redeemed:>11,.2f} "
                f"{line.cumulative:>12,.2f}  {line.status:<8}"
            )
            if run.is_interest:
                row += f" {line.cash:>10,.2f} {line.reinvested_shares:>6}"
            self.stdout.write(row)
        cash = run.lines.aggregate(cash=Sum("cash"))["cash"] or Decimal("0")
        to_bank = run.share_class.society.money(cash) + run.redeemed
        self.stdout.write(
            f"Paid {format_money(run.paid)}, retained {format_money(run.retained)}, "
            f"redeemed {format_money(run.redeemed)}; to the bank {format_money(to_bank)}."
        )


def _share_class(slug: str, name_or_id: str) -> ShareClass:
    society = society_from_slug(slug)
    classes = ShareClass.objects.filter(society=society).select_related("society")
    found = classes.filter(pk=int(name_or_id)) if name_or_id.isdigit() else classes.none()
    found = found or classes.filter(name__iexact=name_or_id)
    if len(found) != 1:
        names = ", ".join(f"{c.name!r} ({c.pk})" for c in classes) or "none"
        raise CommandError(f"{society} has no share class {name_or_id!r}; its classes: {names}.")
    return found[0]
