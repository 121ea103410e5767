from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from capital.errors import Refusal
from capital.management import society_from_slug
from investors.payments.bank_import import import_bank_statement


class Command(BaseCommand):
    help = (
        "Import a bank statement CSV (columns date, amount, reference in any order and case): "
        "exact matches are recorded as paid, the rest listed for the treasurer. "
        "Importing the same file twice changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("society", help="The society's slug.")
        parser.add_argument("file", help="The statement, as CSV.")

    def handle(self, *args, society, file, **options):
        chosen = society_from_slug(society)
        path = Path(file)
        try:
            text = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as error:
            raise CommandError(f"Cannot read {file}: {error}") from error
        try:
            result = import_bank_statement(society=chosen, text=text, source_name=path.name)
        except Refusal as error:
            raise CommandError(str(error)) from error
        self.stdout.write(result.summary())
        for line in result.new_lines:
            if line.status != line.Status.MATCHED:
                self.stdout.write(
                    f"  {line.date} {line.amount} {line.reference!r}: {line.get_status_display()}"
                )
