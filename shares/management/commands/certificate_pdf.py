from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from shares.documents import certificate_pdf
from shares.models import Certificate


class Command(BaseCommand):
    help = "Write one share certificate as a PDF: certificate_pdf SOCIETY NUMBER OUT.pdf"

    def add_arguments(self, parser):
        parser.add_argument("society", help="The society's slug.")
        parser.add_argument("number", type=int, help="The certificate's number.")
        parser.add_argument("out", help="The PDF file to write.")

    def handle(self, *args, society, number, out, **options):
        certificate = (
            Certificate.objects.select_related("society", "share_class", "holder", "ledger_entry")
            .filter(society__slug=society, number=number)
            .first()
        )
        if certificate is None:
            raise CommandError(f"{society!r} has no certificate number {number}.")
        Path(out).write_bytes(certificate_pdf(certificate))
        self.stdout.write(f"Wrote certificate {number} ({certificate.get_state_display().lower()}) to {out}.")
