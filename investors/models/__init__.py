from investors.models.applications import Application, Payment, Refund, new_payment_reference
from investors.models.bank import BankStatementLine
from investors.models.cards import CardPayment, StripeCustomer, WebhookEvent

__all__ = [
    "Application",
    "BankStatementLine",
    "CardPayment",
    "Payment",
    "Refund",
    "StripeCustomer",
    "WebhookEvent",
    "new_payment_reference",
]
