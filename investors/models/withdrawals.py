"""Withdrawals: a holder asks for withdrawable shares to be paid back at par; the board pays
the queue first come, first served, as the society's rules and money allow."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from djmoney.models.fields import MoneyField

from capital.lifecycle import Lifecycle
from capital.models import MONEY, ShareClass
from investors.errors import WithdrawalError
from shares.models import Holder, LedgerEntry


class WithdrawalRequest(Lifecycle, models.Model):
    """One request to withdraw shares. It waits in the class's queue (by `requested_at`) until
    its notice has run (`due_on`); the board then approves it (the shares leave the register and
    the money is owed), or refuses it, and the treasurer records the payment."""

    class State(models.TextChoices):
        PENDING = "pending", "Waiting in the queue"
        APPROVED = "approved", "Approved: money owed"
        PAID = "paid", "Paid"
        REFUSED = "refused", "Refused by the board"
        CANCELLED = "cancelled", "Cancelled by the holder"

    lifecycle_error = WithdrawalError
    TRANSITIONS = {
        State.PENDING: {State.APPROVED, State.REFUSED, State.CANCELLED},
        State.APPROVED: {State.PAID},
        State.PAID: set(),
        State.REFUSED: set(),
        State.CANCELLED: set(),
    }

    holder = models.ForeignKey(Holder, on_delete=models.PROTECT, related_name="withdrawal_requests")
    share_class = models.ForeignKey(ShareClass, on_delete=models.PROTECT, related_name="withdrawal_requests")
    shares = models.PositiveIntegerField()
    amount = MoneyField(**MONEY, help_text="The shares at par: what the society pays back.")
    state = models.CharField(max_length=12, choices=State.choices, default=State.PENDING)
    requested_at = models.DateTimeField()
    due_on = models.DateField(
        help_text="The first day it may be paid: notice run and any waiting period over."
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    refusal_reason = models.TextField(blank=True)
    ledger_entry = models.OneToOneField(
        LedgerEntry, null=True, blank=True, on_delete=models.PROTECT, related_name="withdrawal_request"
    )
    paid_on = models.DateField(null=True, blank=True)
    paid_reference = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["share_class_id", "requested_at", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(shares__gt=0), name="withdrawal_shares_positive"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="withdrawal_amount_positive"),
            models.CheckConstraint(
                condition=~Q(state__in=["approved", "paid"]) | Q(ledger_entry__isnull=False),
                name="withdrawal_approved_on_the_register",
            ),
            models.CheckConstraint(
                condition=~Q(state="paid") | (Q(paid_on__isnull=False) & ~Q(paid_reference="")),
                name="withdrawal_payment_recorded",
            ),
            models.CheckConstraint(
                condition=~Q(state="refused") | ~Q(refusal_reason=""), name="withdrawal_refusal_explained"
            ),
        ]

    def __str__(self):
        state = self.get_state_display().lower()
        return f"{self.holder}: withdraw {self.shares} {self.share_class.name} ({state})"

    def about(self) -> str:
        return "This withdrawal"
