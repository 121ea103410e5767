from django.core.management.base import BaseCommand

from investors.daily import schedule_daily


class Command(BaseCommand):
    help = (
        "Queue the daily jobs' task for the task worker: it runs today's jobs, then queues itself "
        "for tomorrow at DAILY_AT. Safe to run at every start."
    )

    def handle(self, *args, **options):
        if schedule_daily():
            self.stdout.write("The daily jobs are queued; the task worker runs them and each day after.")
        else:
            self.stdout.write("The daily jobs are already queued.")
