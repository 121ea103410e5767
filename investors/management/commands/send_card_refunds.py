from django.core.management.base import BaseCommand

from investors.payments.refunds import send_due_card_refunds


class Command(BaseCommand):
    help = "Send every card refund still due through Stripe (run it from cron; it is idempotent)."

    def handle(self, *args, **options):
        results = send_due_card_refunds()
        for result in results:
            self.stdout.write(result)
        self.stdout.write(f"{len(results)} card refunds sent.")
