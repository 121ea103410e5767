"""Card payments through Stripe, and the webhook events Stripe sends about them."""

from django.db import models
from django.db.models import Q
from djmoney.models.fields import MoneyField

from capital.models import MONEY
from investors.models.applications import Application
from shares.models import Holder


class StripeCustomer(models.Model):
    """The Stripe customer a holder's cards are saved to, created the first time they pay."""

    holder = models.OneToOneField(Holder, on_delete=models.PROTECT, related_name="stripe_customer")
    customer_id = models.CharField(max_length=255, unique=True)

    def __str__(self):
        return f"{self.holder}: {self.customer_id}"


class CardPayment(models.Model):
    """One PaymentIntent for one application: what was asked of the card, and what happened.

    A declined card leaves the application payable again; the next card is a new row. Status
    only ever moves forward (see `ADVANCES`), so events arriving late or twice change nothing.
    """

    class Status(models.TextChoices):
        REQUIRES_ACTION = "requires_action", "Waiting for the bank's authentication"
        PROCESSING = "processing", "Processing"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    ADVANCES = {
        Status.REQUIRES_ACTION: {Status.PROCESSING, Status.SUCCEEDED, Status.FAILED},
        Status.PROCESSING: {Status.SUCCEEDED, Status.FAILED},
        Status.FAILED: {Status.SUCCEEDED},  # a retried authentication can still succeed
        Status.SUCCEEDED: set(),
    }

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="card_payments")
    intent_id = models.CharField(max_length=255, unique=True)
    payment_method_id = models.CharField(max_length=255)
    amount = MoneyField(**MONEY)
    status = models.CharField(max_length=20, choices=Status.choices)
    failure_message = models.TextField(blank=True)
    disputed = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="card_payment_amount_positive"),
        ]

    def __str__(self):
        return f"{self.intent_id} ({self.get_status_display()})"

    def advance_to(self, status: "CardPayment.Status") -> bool:
        """Move forward if the lifecycle allows it; returns whether anything changed."""
        if status == self.status or status not in self.ADVANCES[self.Status(self.status)]:
            return False
        self.status = status
        return True


class WebhookEvent(models.Model):
    """Every Stripe event received, stored by its id before it is processed (a unique key)."""

    class Outcome(models.TextChoices):
        PENDING = "pending", "Not processed yet"
        PROCESSED = "processed", "Processed"
        IGNORED = "ignored", "Not an event we act on"
        UNMATCHED = "unmatched", "For a payment the platform does not know"

    event_id = models.CharField(max_length=255, unique=True)
    type = models.CharField(max_length=100)
    payload = models.JSONField()
    received_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=12, choices=Outcome.choices, default=Outcome.PENDING)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["-received_at", "-pk"]

    def __str__(self):
        return f"{self.event_id} {self.type} ({self.get_outcome_display()})"
