from decimal import Decimal, InvalidOperation

from django.core.management.base import BaseCommand, CommandError

from capital.errors import Refusal
from investors.models import Application
from investors.payments.services import confirm_payment


class Command(BaseCommand):
    help = "Record a bank transfer received for an application, by its payment reference."

    def add_arguments(self, parser):
        parser.add_argument("reference", help="The application's payment reference, e.g. CS-ABCD2345.")
        parser.add_argument("amount", help="The amount received, e.g. 250.00.")
        parser.add_argument("--bank-line", required=True, help="The bank statement line's own reference.")

    def handle(self, *args, reference, amount, bank_line, **options):
        try:
            application = Application.objects.select_related("offer__share_class__society").get(
                payment_reference=reference.strip().upper()
            )
        except Application.DoesNotExist:
            raise CommandError(f"No application has the payment reference {reference!r}.") from None
        try:
            value = application.offer.society.money(Decimal(amount.replace(",", "")))
        except InvalidOperation:
            raise CommandError(f"{amount!r} is not an amount of money.") from None
        try:
            confirm_payment(
                application=application,
                amount=value,
                method=Application.PaymentMethod.BANK_TRANSFER,
                provider_reference=bank_line,
            )
        except Refusal as error:
            raise CommandError(str(error)) from error
        application.refresh_from_db()
        self.stdout.write(f"{application.payment_reference}: {application.get_state_display()}.")
