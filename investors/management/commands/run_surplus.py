"""`manage.py run_surplus SOCIETY YEAR_END --surplus 100000 [--approve]`: a surplus run from the
shell. Prints the preview; approves it (as the system) only when asked."""

import datetime

from django.core.management.base import BaseCommand, CommandError

from capital.errors import Refusal
from capital.management import decimal_option, society_from_slug
from investors.surplus.admin import surplus_run_summary
from investors.surplus.exports import surplus_payment_file_csv
from investors.surplus.services import approve_surplus_run, start_surplus_run


class Command(BaseCommand):
    help = (
        "Split a society's surplus for the financial year ending YEAR_END by its surplus rules and "
        "print the preview; --approve approves it (writing the register's changes and the investor "
        "runs with it), --payment-file writes the bank's CSV."
    )

    def add_arguments(self, parser):
        parser.add_argument("society", help="The society's slug.")
        parser.add_argument("year_end", help="The financial year's last day, e.g. 2026-03-31.")
        parser.add_argument("--surplus", required=True, help="The year's declared surplus, e.g. 100000.")
        parser.add_argument("--approve", action="store_true", help="Approve the split after the preview.")
        parser.add_argument("--payment-file", help="Write the payment file here (needs --approve).")

    def handle(self, *args, society, year_end, surplus, approve, payment_file, **options):
        if payment_file and not approve:
            raise CommandError("A payment file is made from an approved split: add --approve.")
        try:
            year_end = datetime.date.fromisoformat(year_end)
        except ValueError:
            raise CommandError(f"{year_end!r} is not a date (write it as 2026-03-31).") from None
        try:
            run = start_surplus_run(
                society=society_from_slug(society),
                year_end=year_end,
                surplus=decimal_option(surplus, "--surplus"),
            )
            self._preview(run)
            if approve:
                run = approve_surplus_run(run=run, by=None)
        except Refusal as error:
            raise CommandError(str(error)) from error
        if not approve:
            self.stdout.write("Not approved: run the command again with --approve to approve it.")
            return
        self.stdout.write(f"Approved surplus run {run.pk}.")
        if payment_file:
            try:
                text = surplus_payment_file_csv(run)
            except Refusal as error:
                raise CommandError(f"The split is approved; no payment file yet. {error}") from error
            with open(payment_file, "w", encoding="utf-8", newline="") as out:
                out.write(text)
            self.stdout.write(f"Payment file written to {payment_file}.")

    def _preview(self, run) -> None:
        self.stdout.write(f"{run.society}, draft surplus run {run.pk}")
        for sentence in surplus_run_summary(run):
            self.stdout.write(sentence)
        self.stdout.write(
            f"{'part':<7} {'holder':<28} {'weight':>14} {'paid':>11} {'cash':>11} {'shares':>7}"
        )
        for line in run.lines.select_related("holder").order_by("part", "pk").iterator(chunk_size=2000):
            self.stdout.write(
                f"{line.part:<7} {line.holder.name[:28]:<28} {line.weight.normalize():>14f} "
                f"{line.paid:>11,.2f} {line.cash:>11,.2f} {line.member_shares:>7}"
            )
