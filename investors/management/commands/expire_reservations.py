from django.core.management.base import BaseCommand

from investors.applications.services import expire_reservations


class Command(BaseCommand):
    help = "Release the shares held by unpaid first-come applications whose reservation has lapsed."

    def handle(self, *args, **options):
        count = expire_reservations()
        self.stdout.write(f"{count} reservations expired.")
