from django.core.management.base import BaseCommand

from investors.applications.services import remind_lapsing_reservations


class Command(BaseCommand):
    help = (
        "Email investors whose unpaid reservation lapses within two days (once per application). "
        "Run it daily, beside expire_reservations."
    )

    def handle(self, *args, **options):
        count = remind_lapsing_reservations()
        self.stdout.write(f"{count} reminders sent.")
