from django.core.management.base import BaseCommand, CommandError

from capital.models import Society
from shares.services.certificates import issue_missing_certificates


class Command(BaseCommand):
    help = "Create any missing share certificates for a society (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("society", help="The society's slug.")

    def handle(self, *args, society, **options):
        chosen = Society.objects.filter(slug=society).first()
        if chosen is None:
            raise CommandError(f"No society has the slug {society!r}.")
        count = issue_missing_certificates(chosen)
        self.stdout.write(f"{count} certificates issued.")
