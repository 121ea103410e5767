"""Transfers: a holder passes shares of a transferable class to another holder, or to someone
new, who accepts; the board approves, and the register's transfer entry moves the shares."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from djmoney.models.fields import MoneyField

from capital.lifecycle import Lifecycle
from capital.models import MONEY, ShareClass
from investors.errors import TransferError
from shares.models import Holder, LedgerEntry


class TransferRequest(Lifecycle, models.Model):
    """One transfer of shares, from asking to the register.

    The holder names the receiver (by name and email) and the price agreed between them; the
    receiver accepts through the emailed link and gives their details (or is the holder already
    on the register with that address, or logged in); then the board approves it, and
    `ledger_entry` is the register's transfer, or refuses it with a reason. The shares stay the
    holder's, and count as spoken for, until then. A transfer never gives the receiver control:
    the class's rights are the class's, whoever holds its shares.
    """

    class State(models.TextChoices):
        AWAITING_RECEIVER = "awaiting_receiver", "Waiting for the receiver to accept"
        AWAITING_BOARD = "awaiting_board", "Waiting for the board"
        COMPLETED = "completed", "Transferred"
        REFUSED = "refused", "Refused by the board"
        DECLINED = "declined", "Declined by the receiver"
        CANCELLED = "cancelled", "Cancelled by the holder"

    lifecycle_error = TransferError
    TRANSITIONS = {
        State.AWAITING_RECEIVER: {State.AWAITING_BOARD, State.DECLINED, State.CANCELLED},
        State.AWAITING_BOARD: {State.COMPLETED, State.REFUSED, State.CANCELLED},
        State.COMPLETED: set(),
        State.REFUSED: set(),
        State.DECLINED: set(),
        State.CANCELLED: set(),
    }
    OPEN = (State.AWAITING_RECEIVER, State.AWAITING_BOARD)

    holder = models.ForeignKey(Holder, on_delete=models.PROTECT, related_name="transfers_out")
    share_class = models.ForeignKey(ShareClass, on_delete=models.PROTECT, related_name="transfer_requests")
    shares = models.PositiveIntegerField()
    price = MoneyField(**MONEY, help_text="What the receiver pays the holder for them (0 for a gift).")
    receiver_name = models.CharField(max_length=200)
    receiver_email = models.EmailField()
    receiver = models.ForeignKey(
        Holder, null=True, blank=True, on_delete=models.PROTECT, related_name="transfers_in"
    )
    state = models.CharField(max_length=20, choices=State.choices, default=State.AWAITING_RECEIVER)
    requested_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    refusal_reason = models.TextField(blank=True)
    ledger_entry = models.OneToOneField(
        LedgerEntry, null=True, blank=True, on_delete=models.PROTECT, related_name="transfer_request"
    )

    class Meta:
        ordering = ["share_class_id", "requested_at", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(shares__gt=0), name="transfer_shares_positive"),
            models.CheckConstraint(condition=Q(price__gte=0), name="transfer_price_not_negative"),
            models.CheckConstraint(
                condition=Q(state="awaiting_receiver")
                | Q(state="declined")
                | Q(state="cancelled")
                | Q(receiver__isnull=False),
                name="transfer_accepted_has_a_receiver",
            ),
            models.CheckConstraint(
                condition=Q(receiver__isnull=True) | ~Q(receiver=F("holder")),
                name="transfer_to_someone_else",
            ),
            models.CheckConstraint(
                condition=~Q(state="completed") | Q(ledger_entry__isnull=False),
                name="transfer_completed_on_the_register",
            ),
            models.CheckConstraint(
                condition=~Q(state="refused") | ~Q(refusal_reason=""), name="transfer_refusal_explained"
            ),
        ]

    def __str__(self):
        return f"{self.holder}: transfer {self.shares} {self.share_class.name} to {self.receiver_name}"

    def about(self) -> str:
        return "This transfer"

    @property
    def is_open(self) -> bool:
        """Still waiting for the receiver or the board: the holder may cancel it."""
        return self.state in self.OPEN
