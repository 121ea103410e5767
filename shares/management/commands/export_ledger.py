from django.core.management.base import BaseCommand

from capital.management import society_from_slug
from shares.services.exports import write_ledger_csv


class Command(BaseCommand):
    help = "Write a society's full ledger, with its hashes, as CSV (standard output or --output)."

    def add_arguments(self, parser):
        parser.add_argument("society", help="The society's slug.")
        parser.add_argument("--output", "-o", help="A file to write (default: standard output).")

    def handle(self, *args, society, output=None, **options):
        chosen = society_from_slug(society)
        if output:
            with open(output, "w", newline="", encoding="utf-8") as out:
                count = write_ledger_csv(chosen, out)
            self.stderr.write(f"Wrote {count} ledger entries to {output}.")
        else:
            write_ledger_csv(chosen, self.stdout)
