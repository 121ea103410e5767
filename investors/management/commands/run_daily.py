from django.core.management.base import BaseCommand

from investors.daily import run_daily_jobs


class Command(BaseCommand):
    help = (
        "Run today's daily jobs (lapse reservations, send reminders, send card refunds still due) "
        "unless they have run today. For cron; the worker's run_daily task does the same."
    )

    def handle(self, *args, **options):
        results = run_daily_jobs()
        if results is None:
            self.stdout.write("Today's jobs have already run (or are running); nothing done.")
            return
        for name, count in results.items():
            self.stdout.write(f"{count} {name}.")
