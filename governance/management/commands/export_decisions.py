import json

from django.core.management.base import BaseCommand

from capital.management import society_from_slug
from governance.services.verification import export


class Command(BaseCommand):
    help = (
        "Write a society's decision record as JSON: every entry's content and hashes, enough to "
        "recompute them and recount every result outside the platform."
    )

    def add_arguments(self, parser):
        parser.add_argument("society", help="The society's slug.")

    def handle(self, *args, society, **options):
        self.stdout.write(json.dumps(export(society_from_slug(society)), indent=1, sort_keys=True))
