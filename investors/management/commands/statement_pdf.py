"""`manage.py statement_pdf SOCIETY RUN_ID INVESTOR_EMAIL OUT.pdf`: one investor's statement of
returns for one approved or paid distribution run."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from capital.errors import Refusal
from capital.management import society_from_slug
from investors.documents.pdfs import statement_pdf
from investors.models import DistributionRun
from investors.runs.statements import require_decided, statement_holders, statement_line
from shares.services.holders import holder_by_email


class Command(BaseCommand):
    help = "Write one investor's statement for a distribution run as a PDF."

    def add_arguments(self, parser):
        parser.add_argument("society", help="The society's slug.")
        parser.add_argument("run_id", type=int, help="The distribution run's number.")
        parser.add_argument("email", help="The investor's email address.")
        parser.add_argument("out", help="The PDF file to write.")

    def handle(self, *args, society, run_id, email, out, **options):
        chosen = society_from_slug(society)
        run = DistributionRun.objects.select_related("share_class__society").filter(pk=run_id).first()
        if run is None:
            raise CommandError(f"There is no distribution run {run_id}.")
        if run.share_class.society_id != chosen.pk:
            raise CommandError(
                f"Run {run_id} is a run of {run.share_class.society.name}, not of {chosen.name}."
            )
        try:
            require_decided(run)
            holder = holder_by_email(email, preferring=statement_holders(run))
            statement_line(run, holder)  # refuses a draft, or an investor the run has nothing for
            data = statement_pdf(run, holder)
        except Refusal as error:
            raise CommandError(str(error)) from error
        Path(out).write_bytes(data)
        self.stdout.write(
            f"Wrote {holder.name}'s statement for {run.share_class.name}, year {run.year} "
            f"(run {run.pk}) to {out}."
        )
