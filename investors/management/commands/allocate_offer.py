from django.core.management.base import BaseCommand, CommandError

from capital.errors import Refusal
from capital.models import Offer
from capital.services import close_offer
from investors.applications.allocation import allocate_offer


class Command(BaseCommand):
    help = "Allocate a closed offer (closing it first with --close): issue shares or fail it."

    def add_arguments(self, parser):
        parser.add_argument("offer", type=int, help="The offer's id.")
        parser.add_argument("--close", action="store_true", help="Close the offer first.")

    def handle(self, *args, offer, close=False, **options):
        try:
            chosen = Offer.objects.get(pk=offer)
        except Offer.DoesNotExist:
            raise CommandError(f"There is no offer {offer}.") from None
        try:
            if close:
                chosen = close_offer(offer=chosen)
            result = allocate_offer(offer=chosen)
        except Refusal as error:
            raise CommandError(str(error)) from error
        self.stdout.write(result.summary())
