"""`manage.py summary_pdf SOCIETY TAX_YEAR INVESTOR_EMAIL OUT.pdf`: one investor's yearly summary
for the UK tax year starting on 6 April TAX_YEAR."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from capital.errors import Refusal
from capital.management import society_from_slug
from investors.documents.pdfs import annual_summary_pdf
from investors.runs.statements import summary_holders
from investors.runs.tax_year import tax_year as tax_year_dates
from shares.services.holders import holder_by_email


class Command(BaseCommand):
    help = (
        "Write one investor's yearly summary (holdings, returns and share interest) for a tax year as a PDF."
    )

    def add_arguments(self, parser):
        parser.add_argument("society", help="The society's slug.")
        parser.add_argument(
            "tax_year",
            type=int,
            help="The year the tax year starts in: 2025 is 6 April 2025 to 5 April 2026.",
        )
        parser.add_argument("email", help="The investor's email address.")
        parser.add_argument("out", help="The PDF file to write.")

    def handle(self, *args, society, tax_year: int, email, out, **options):
        chosen = society_from_slug(society)
        if not 1900 < tax_year < 3000:
            raise CommandError(f"Give the tax year as the year it starts in, e.g. 2025, not {tax_year}.")
        first, last = tax_year_dates(tax_year)
        if first > timezone.localdate():
            raise CommandError(f"The tax year {first:%-d %B %Y} to {last:%-d %B %Y} has not started yet.")
        holders = summary_holders(chosen, tax_year)
        try:
            holder = holder_by_email(email, preferring=holders)
        except Refusal as error:
            raise CommandError(str(error)) from error
        if not holders.filter(pk=holder.pk).exists():
            raise CommandError(
                f"{holder.name} held no shares in {chosen.name} and was paid nothing by it in the tax "
                f"year {first:%-d %B %Y} to {last:%-d %B %Y}."
            )
        Path(out).write_bytes(annual_summary_pdf(chosen, holder, tax_year))
        self.stdout.write(
            f"Wrote {holder.name}'s yearly summary for the tax year {tax_year}–{tax_year + 1} to {out}."
        )
