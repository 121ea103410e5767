"""Applications for shares and the money that pays for them."""

import secrets

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from djmoney.models.fields import MoneyField

from capital.lifecycle import Lifecycle
from capital.models import MONEY, Offer
from investors.errors import PaymentError
from shares.models import Holder

REFERENCE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I: people type these


def new_payment_reference() -> str:
    return "CS-" + "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(8))


class Application(Lifecycle, models.Model):
    """One investor's request for shares in one offer, and what became of it.

    Every application that was paid ends allocated (wholly or partly) or with a refund for the
    rest; the state map below is the only way it moves.
    """

    # Nothing Wagtail edits refers to an application: keep the apply path free of index updates.
    wagtail_reference_index_ignore = True

    class PaymentMethod(models.TextChoices):
        BANK_TRANSFER = "bank_transfer", "Bank transfer"
        CARD = "card", "Card"

    class State(models.TextChoices):
        AWAITING_PAYMENT = "awaiting_payment", "Awaiting payment"
        PAID = "paid", "Paid"
        ALLOCATED = "allocated", "Allocated"
        EXPIRED = "expired", "Reservation expired"
        CANCELLED = "cancelled", "Cancelled"
        REFUND_DUE = "refund_due", "Refund due"
        REFUNDED = "refunded", "Refunded"

    lifecycle_error = PaymentError
    TRANSITIONS = {
        State.AWAITING_PAYMENT: {State.PAID, State.EXPIRED, State.CANCELLED, State.REFUND_DUE},
        State.EXPIRED: {State.PAID, State.REFUND_DUE, State.CANCELLED},
        State.CANCELLED: {State.REFUND_DUE},
        State.PAID: {State.ALLOCATED, State.REFUND_DUE},
        State.ALLOCATED: set(),
        State.REFUND_DUE: {State.REFUNDED},
        State.REFUNDED: set(),
    }
    # States whose shares count towards the investor's limits and the offer's capacity.
    LIVE_STATES = (State.AWAITING_PAYMENT, State.PAID, State.ALLOCATED)

    offer = models.ForeignKey(Offer, on_delete=models.PROTECT, related_name="applications")
    holder = models.ForeignKey(Holder, on_delete=models.PROTECT, related_name="applications")
    shares = models.PositiveIntegerField()
    amount = MoneyField(**MONEY)
    payment_method = models.CharField(max_length=16, choices=PaymentMethod.choices)
    payment_reference = models.CharField(max_length=16, unique=True, default=new_payment_reference)
    state = models.CharField(max_length=20, choices=State.choices, default=State.AWAITING_PAYMENT)
    holds_reservation = models.BooleanField(
        default=False, help_text="Whether this application holds capacity in a first-come offer."
    )
    reserved_until = models.DateTimeField(null=True, blank=True)
    shares_allocated = models.PositiveIntegerField(default=0)
    shares_requested = models.PositiveIntegerField(
        null=True, blank=True, help_text="What was asked for, when a card charged at allocation took less."
    )
    shares_planned = models.PositiveIntegerField(
        null=True, blank=True, help_text="The scale-back plan fixed before cards are charged at allocation."
    )
    card_still_to_take = models.BooleanField(
        default=False,
        help_text="Stripe could not be reached for its card at allocation: the offer was allocated "
        "around it, its planned shares set aside until the board takes the card again or cancels it.",
    )
    saved_payment_method_id = models.CharField(
        max_length=255, blank=True, help_text="A card saved to be charged at allocation."
    )
    form_token = models.CharField(
        max_length=64,
        blank=True,
        default="",
        editable=False,
        help_text="The one-time token of the site's form that made this application: "
        "the same form sent again is shown this application instead of making another.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    allocated_at = models.DateTimeField(null=True, blank=True)
    ledger_entry = models.OneToOneField(
        "shares.LedgerEntry",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="allocated_application",
        help_text="The register entry that issued the allocated shares.",
    )

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(shares__gt=0), name="application_shares_positive"),
            models.CheckConstraint(
                condition=Q(shares_allocated__lte=F("shares")),
                name="application_allocation_within_request",
            ),
            models.UniqueConstraint(
                fields=["form_token"], condition=~Q(form_token=""), name="application_made_once_per_form"
            ),
        ]
        indexes = [models.Index(fields=["offer", "state"]), models.Index(fields=["holder", "state"])]

    def __str__(self):
        return f"{self.payment_reference}: {self.holder} for {self.shares} × {self.offer}"

    def about(self) -> str:
        return f"Application {self.payment_reference}"

    @property
    def pay_by(self):
        """When the money must have arrived: the end of the reservation in a first-come offer,
        otherwise the offer's close."""
        return self.reserved_until if self.holds_reservation else self.offer.closes_at


class Payment(models.Model):
    """Money received for an application, once per provider reference (a unique key)."""

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="payments")
    method = models.CharField(max_length=16, choices=Application.PaymentMethod.choices)
    amount = MoneyField(**MONEY)
    provider_reference = models.CharField(
        max_length=200, help_text="The bank line or card payment this money came from."
    )
    received_on = models.DateField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["recorded_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["method", "provider_reference"], name="payment_recorded_once"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive"),
        ]

    def __str__(self):
        return f"{self.amount} for {self.application.payment_reference}"


class Refund(models.Model):
    """Money owed back to an investor: a failed offer, a scaled-back excess, a late payment."""

    class State(models.TextChoices):
        DUE = "due", "Due"
        PAID = "paid", "Paid"

    class Reason(models.TextChoices):
        OFFER_FAILED = "offer_failed", "The offer missed its minimum target"
        SCALED_BACK = "scaled_back", "The offer was oversubscribed and scaled back"
        NO_CAPACITY = "no_capacity", "The payment arrived after the shares had gone"
        OFFER_CLOSED = "offer_closed", "The payment arrived after the offer closed"
        DUPLICATE = "duplicate", "The application had already been paid"
        REFUNDED_OUTSIDE = "refunded_outside", "Refunded in Stripe, outside the platform"
        CANCELLED = "cancelled", "The application had been cancelled"
        OVER_LIMIT = (
            "over_limit",
            "The payment came after the reservation lapsed, and would now break a limit",
        )
        NOT_MATCHING = "not_matching", "The transfer did not match the application's amount"

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="refunds")
    payment = models.ForeignKey(
        Payment,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="refunds",
        help_text="The payment this money goes back from.",
    )
    amount = MoneyField(**MONEY)
    reason = models.CharField(max_length=20, choices=Reason.choices)
    state = models.CharField(max_length=8, choices=State.choices, default=State.DUE)
    created_at = models.DateTimeField(auto_now_add=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    paid_reference = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="refund_amount_positive"),
        ]

    def __str__(self):
        return f"{self.amount} to {self.application.holder} ({self.get_reason_display()})"
