from django.core.management.base import BaseCommand

from capital.management import society_from_slug
from shares.services.certificates import issue_missing_certificates


class Command(BaseCommand):
    help = "Create any missing share certificates for a society (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("society", help="The society's slug.")

    def handle(self, *args, society, **options):
        chosen = society_from_slug(society)
        count = issue_missing_certificates(chosen)
        self.stdout.write(f"{count} certificates issued.")
