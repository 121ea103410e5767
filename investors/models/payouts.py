"""How a payment owed to a holder reaches them, for every row a bank payment file is made from
(a run's lines, a surplus run's dividends, a redemption): in the file (the default) or, when
the holder gave no payout account, as the treasurer resolved it."""

from django.db import models
from django.db.models import Q


class Payout(models.TextChoices):
    BANK_FILE = "bank_file", "In the payment file"
    PAID_OTHER_WAY = "paid_other_way", "Paid another way"
    HELD = "held", "Held until the holder gives an account"


class PayoutResolution(models.Model):
    """The two columns `investors.payouts.resolution` reads and writes. A model using it adds
    `payout_resolution_constraint(name)` to its constraints: a resolution always says why."""

    Payout = Payout

    payout = models.CharField(max_length=16, choices=Payout.choices, default=Payout.BANK_FILE)
    payout_note = models.TextField(blank=True, help_text="How it was paid, or why it is held.")

    class Meta:
        abstract = True


def payout_resolution_constraint(name: str) -> models.CheckConstraint:
    return models.CheckConstraint(
        condition=Q(payout="bank_file") | ~Q(payout_note=""),
        name=name,
        violation_error_message="Say how the holder was paid, or why the payment is held.",
    )
