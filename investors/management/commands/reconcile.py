from django.core.management.base import BaseCommand, CommandError

from capital.management import society_from_slug
from investors.payments.reconciliation import reconcile


class Command(BaseCommand):
    help = (
        "Report payments without an outcome, refunds owed, unmatched bank lines, Stripe payments "
        "the platform does not know and amounts that disagree; exit non-zero if there is any."
    )

    def add_arguments(self, parser):
        parser.add_argument("society", nargs="?", help="A society's slug (default: all).")

    def handle(self, *args, society=None, **options):
        chosen = society_from_slug(society) if society else None
        report = reconcile(chosen)
        for problem in report.problems:
            self.stdout.write(problem)
        self.stdout.write(
            f"Checked {report.checked_payments} payments and {report.checked_intents} Stripe payments: "
            f"{len(report.problems)} to look at."
        )
        if not report.ok:
            raise CommandError(f"{len(report.problems)} payments need attention.")
