"""A member's death: the secretary records it with the evidence seen, the nominated property
passes to the nominees (up to the statutory limit), the rest to the personal representatives
on proof of their authority. Every step is a register entry, audited."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from djmoney.models.fields import MoneyField

from capital.lifecycle import Lifecycle
from capital.models import MONEY, ShareClass, Society
from investors.errors import EstateError
from investors.models.nominations import Nomination
from shares.models import Holder, LedgerEntry


class Estate(Lifecycle, models.Model):
    """A deceased member's property in one society, from the day their death is recorded until
    all of it has passed: to nominees first (if a nomination was in force), then to the personal
    representatives once they prove their authority (a grant of probate or of letters of
    administration, or their Scottish or Northern Irish equivalents)."""

    class State(models.TextChoices):
        RECORDED = "recorded", "Death recorded"
        NOMINATED_PASSED = "nominated_passed", "Nominated property passed"
        SETTLED = "settled", "Settled"

    lifecycle_error = EstateError
    TRANSITIONS = {
        State.RECORDED: {State.NOMINATED_PASSED, State.SETTLED},
        State.NOMINATED_PASSED: {State.SETTLED},
        State.SETTLED: set(),
    }

    holder = models.ForeignKey(Holder, on_delete=models.PROTECT, related_name="estates")
    society = models.ForeignKey(Society, on_delete=models.PROTECT, related_name="estates")
    died_on = models.DateField()
    evidence = models.TextField(
        help_text="What the secretary saw: e.g. the death certificate and its entry number."
    )
    nomination = models.ForeignKey(
        Nomination,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="estates",
        help_text="The nomination in force on the day of death.",
    )
    state = models.CharField(max_length=20, choices=State.choices, default=State.RECORDED)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)
    representative_name = models.CharField(max_length=200, blank=True)
    representative_address = models.TextField(blank=True)
    representative_email = models.EmailField(blank=True)
    authority = models.TextField(
        blank=True, help_text="The proof of their authority seen: e.g. the grant of probate and its date."
    )
    representatives_recorded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["society_id", "-died_on", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["holder", "society"], name="one_estate_per_member_society"),
            models.CheckConstraint(condition=~Q(evidence=""), name="estate_death_evidenced"),
            models.CheckConstraint(
                condition=Q(representatives_recorded_at__isnull=True)
                | (~Q(representative_name="") & ~Q(authority="")),
                name="estate_representatives_prove_authority",
            ),
        ]

    def __str__(self):
        return f"Estate of {self.holder} ({self.society})"

    def about(self) -> str:
        return f"The estate of {self.holder}"


class EstateTransmission(models.Model):
    """Shares of a deceased member passing to someone: transferred to them on the register, or
    withdrawn or redeemed with the money owed to them (`amount`), which the treasurer pays."""

    class Step(models.TextChoices):
        NOMINATION = "nomination", "To a nominee"
        REPRESENTATIVES = "representatives", "To the personal representatives"

    class How(models.TextChoices):
        TRANSFER = "transfer", "Transferred"
        WITHDRAWAL = "withdrawal", "Withdrawn, the money owed"
        REDEMPTION = "redemption", "Redeemed at their paid-up value, the money owed"

    estate = models.ForeignKey(Estate, on_delete=models.PROTECT, related_name="transmissions")
    step = models.CharField(max_length=16, choices=Step.choices)
    recipient_name = models.CharField(max_length=200)
    recipient = models.ForeignKey(
        Holder,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Who now holds the shares, for a transfer.",
    )
    share_class = models.ForeignKey(ShareClass, on_delete=models.PROTECT, related_name="+")
    shares = models.PositiveIntegerField()
    how = models.CharField(max_length=12, choices=How.choices)
    value = MoneyField(**MONEY, help_text="The shares' paid-up value, counted against the nomination limit.")
    amount = MoneyField(**MONEY, help_text="Money owed to the recipient (nothing for a transfer).")
    ledger_entry = models.OneToOneField(
        LedgerEntry, on_delete=models.PROTECT, related_name="estate_transmission"
    )
    paid_on = models.DateField(null=True, blank=True)
    paid_reference = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["estate_id", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(shares__gt=0), name="transmission_shares_positive"),
            models.CheckConstraint(
                condition=(Q(how="transfer", amount=0, recipient__isnull=False))
                | (~Q(how="transfer") & Q(amount__gt=0)),
                name="transmission_transfers_shares_or_owes_money",
            ),
            models.CheckConstraint(
                condition=Q(paid_on__isnull=True, paid_reference="")
                | (~Q(how="transfer") & Q(paid_on__isnull=False) & ~Q(paid_reference="")),
                name="transmission_payment_recorded",
            ),
        ]

    def __str__(self):
        how = self.get_how_display().lower()
        return f"{self.shares} {self.share_class.name} to {self.recipient_name} ({how})"
