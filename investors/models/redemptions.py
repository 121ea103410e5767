"""The redemption fund: money a society sets aside to buy back investor shares, and the holders'
requests to be redeemed from it, first come first served."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from djmoney.models.fields import MoneyField

from capital.lifecycle import Lifecycle
from capital.models import MONEY, ShareClass
from investors.errors import RedemptionError
from investors.models.payouts import PayoutResolution, payout_resolution_constraint
from shares.models import Holder, LedgerEntry


class RedemptionFund(models.Model):
    """What a society has set aside to redeem one investor class's shares. `balance` is kept
    on the row (locked whenever it changes, never below zero: a database constraint), and every
    change is a `RedemptionFundMovement`, so the balance can always be explained."""

    share_class = models.OneToOneField(ShareClass, on_delete=models.PROTECT, related_name="redemption_fund")
    balance = MoneyField(**MONEY, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(balance__gte=0), name="redemption_fund_never_overdrawn"),
        ]

    def __str__(self):
        return f"Redemption fund for {self.share_class}"


class RedemptionFundMovement(models.Model):
    class Kind(models.TextChoices):
        SET_ASIDE = "set_aside", "Set aside by the board"
        RELEASED = "released", "Released back by the board"
        REDEMPTION = "redemption", "Paid out for a redemption"

    fund = models.ForeignKey(RedemptionFund, on_delete=models.PROTECT, related_name="movements")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    amount = MoneyField(**MONEY, help_text="Always positive; the kind says which way it moved.")
    balance_after = MoneyField(**MONEY)
    note = models.TextField(blank=True)
    redemption = models.OneToOneField(
        "investors.RedemptionRequest",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="movement",
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["fund_id", "recorded_at", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="redemption_movement_positive"),
            models.CheckConstraint(
                condition=Q(balance_after__gte=0), name="redemption_movement_balance_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(kind="redemption", redemption__isnull=False)
                | (~Q(kind="redemption") & Q(redemption__isnull=True)),
                name="redemption_movement_names_its_redemption",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.amount}"


class RedemptionRequest(Lifecycle, PayoutResolution, models.Model):
    """One holder's request to be redeemed: it waits in the class's queue (by `requested_at`)
    until a director approves the queue within what the fund holds and the society can afford
    (the shares leave the register as a redemption and the money is owed), or refuses it; the
    treasurer then records the payment (`payout`: how it reaches a holder who gave no payout
    account)."""

    class State(models.TextChoices):
        PENDING = "pending", "Waiting in the queue"
        APPROVED = "approved", "Approved: money owed"
        PAID = "paid", "Paid"
        REFUSED = "refused", "Refused by the board"
        CANCELLED = "cancelled", "Cancelled by the holder"

    lifecycle_error = RedemptionError
    TRANSITIONS = {
        State.PENDING: {State.APPROVED, State.REFUSED, State.CANCELLED},
        State.APPROVED: {State.PAID},
        State.PAID: set(),
        State.REFUSED: set(),
        State.CANCELLED: set(),
    }

    holder = models.ForeignKey(Holder, on_delete=models.PROTECT, related_name="redemption_requests")
    share_class = models.ForeignKey(ShareClass, on_delete=models.PROTECT, related_name="redemption_requests")
    shares = models.PositiveIntegerField()
    price_per_share = MoneyField(
        **MONEY, help_text="Par, or the class's stated redemption price, when asked."
    )
    amount = MoneyField(**MONEY, help_text="What the society pays for the shares.")
    state = models.CharField(max_length=12, choices=State.choices, default=State.PENDING)
    requested_at = models.DateTimeField()
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    refusal_reason = models.TextField(blank=True)
    ledger_entry = models.OneToOneField(
        LedgerEntry, null=True, blank=True, on_delete=models.PROTECT, related_name="redemption_request"
    )
    paid_on = models.DateField(null=True, blank=True)
    paid_reference = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["share_class_id", "requested_at", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(shares__gt=0), name="redemption_shares_positive"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="redemption_amount_positive"),
            models.CheckConstraint(
                condition=~Q(state__in=["approved", "paid"]) | Q(ledger_entry__isnull=False),
                name="redemption_approved_on_the_register",
            ),
            models.CheckConstraint(
                condition=~Q(state="paid") | (Q(paid_on__isnull=False) & ~Q(paid_reference="")),
                name="redemption_payment_recorded",
            ),
            models.CheckConstraint(
                condition=~Q(state="refused") | ~Q(refusal_reason=""), name="redemption_refusal_explained"
            ),
            payout_resolution_constraint("redemption_payout_resolution_has_a_note"),
        ]

    def __str__(self):
        state = self.get_state_display().lower()
        return f"{self.holder}: redeem {self.shares} {self.share_class.name} ({state})"

    def about(self) -> str:
        return "This redemption"
