"""Card payments through Stripe, and the webhook events Stripe sends about them."""

from django.db import models
from django.db.models import F, Q
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
    """One attempt to take money from a card for one application: what was asked, and what
    happened.

    The row is written, with the application locked, *before* Stripe is called (status
    `started`, no intent yet), and a partial unique constraint allows one live attempt per
    application: two browser tabs each sending a different card cannot both be charged, the
    second is told the first is under way. The attempt's own id is Stripe's idempotency key,
    so retrying it (a crash, a double click) never charges twice.

    A declined card ends its attempt (`failed`) and the application can be paid with another.
    An offer that charges at allocation may *hold* the card (`authorised`): the money is
    reserved on the card and taken at allocation (`captured`, at most the hold), or released.
    Status only ever moves forward (see `ADVANCES`), so events arriving late or twice change
    nothing.
    """

    class Status(models.TextChoices):
        STARTED = "started", "Sent to the card processor"
        REQUIRES_ACTION = "requires_action", "Waiting for the bank's authentication"
        PROCESSING = "processing", "Processing"
        AUTHORISED = "authorised", "Held on the card, to be taken at allocation"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"
        RELEASED = "released", "Hold released: nothing taken"

    ADVANCES = {
        Status.STARTED: {
            Status.REQUIRES_ACTION,
            Status.PROCESSING,
            Status.AUTHORISED,
            Status.SUCCEEDED,
            Status.FAILED,
        },
        Status.REQUIRES_ACTION: {Status.PROCESSING, Status.AUTHORISED, Status.SUCCEEDED, Status.FAILED},
        Status.PROCESSING: {Status.AUTHORISED, Status.SUCCEEDED, Status.FAILED},
        Status.AUTHORISED: {Status.SUCCEEDED, Status.RELEASED},
        Status.FAILED: {Status.AUTHORISED, Status.SUCCEEDED},  # a retried authentication can still succeed
        Status.SUCCEEDED: set(),
        Status.RELEASED: set(),
    }
    # Attempts that may still take money: at most one per application (a database constraint).
    LIVE = (Status.STARTED, Status.REQUIRES_ACTION, Status.PROCESSING, Status.AUTHORISED)

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="card_payments")
    intent_id = models.CharField(max_length=255, unique=True, null=True, blank=True)
    payment_method_id = models.CharField(max_length=255)
    amount = MoneyField(**MONEY, help_text="What was charged, or authorised for a hold.")
    held = models.BooleanField(
        default=False, help_text="Authorised when the investor applied, to be captured at allocation."
    )
    amount_to_capture = MoneyField(
        **MONEY, null=True, blank=True, help_text="For a hold: what allocation takes (at most the hold)."
    )
    status = models.CharField(max_length=20, choices=Status.choices)
    failure_message = models.TextField(blank=True)
    disputed = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="card_payment_amount_positive"),
            models.UniqueConstraint(
                fields=["application"],
                condition=Q(status__in=["started", "requires_action", "processing", "authorised"]),
                name="card_payment_one_live_attempt",
            ),
            models.CheckConstraint(
                condition=Q(amount_to_capture__isnull=True)
                | Q(held=True, amount_to_capture__gt=0, amount_to_capture__lte=F("amount")),
                name="card_payment_capture_within_hold",
            ),
        ]

    def __str__(self):
        return f"{self.intent_id or 'card payment ' + str(self.pk)} ({self.get_status_display()})"

    def advance_to(self, status: "CardPayment.Status") -> bool:
        """Move forward if the lifecycle allows it; returns whether anything changed."""
        if status == self.status or status not in self.ADVANCES[self.Status(self.status)]:
            return False
        self.status = status
        return True

    @property
    def idempotency_key(self) -> str:
        return f"commonshare-card-payment-{self.pk}"

    @property
    def taken(self):
        """What the card gave: the capture of a hold, or the whole charge."""
        return self.amount_to_capture if self.held and self.amount_to_capture is not None else self.amount

    @property
    def released(self):
        """The part of a captured hold that went back to the card untaken (Stripe reports it
        as refunded)."""
        return self.amount - self.taken


class WebhookEvent(models.Model):
    """Every Stripe event received, stored by its id before it is processed (a unique key)."""

    class Outcome(models.TextChoices):
        PENDING = "pending", "Not processed yet"
        PROCESSED = "processed", "Processed"
        IGNORED = "ignored", "Not an event we act on"
        UNMATCHED = "unmatched", "For a payment the platform does not know"
        FAILED = "failed", "Malformed: refused, kept for the treasurer"

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
