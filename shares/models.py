"""The share register: who holds what, and the append-only ledger it is derived from."""

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from djmoney.models.fields import MoneyField

from capital.encryption import EncryptedDateField
from capital.models import MONEY, ShareClass, Society
from shares.chain import GENESIS_HASH, ChainedEntry
from shares.errors import RegisterError


class Holder(models.Model):
    """A person or organisation that holds (or applies for) shares: an investor.

    Carries the fields the register of members needs (Co-operative and Community Benefit
    Societies Act 2014, s.30). An investor's login, when they have one, points here.
    """

    class Kind(models.TextChoices):
        PERSON = "person", "Person"
        ORGANISATION = "organisation", "Organisation"

    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.PERSON)
    name = models.CharField(max_length=200)
    email = models.EmailField()
    postal_address = models.TextField()
    date_of_birth = EncryptedDateField(null=True, blank=True)  # encrypted at rest
    organisation_number = models.CharField(max_length=40, blank=True)
    is_registered_society = models.BooleanField(
        default=False,
        help_text="The organisation says it is a registered society. It is exempt from a society's "
        "holding limit only once that society's board records the exemption (HoldingLimitExemption).",
    )
    died_on = models.DateField(
        null=True,
        blank=True,
        help_text="Recorded by the secretary with the evidence seen; membership ceases from this day.",
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="holder",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="organisation") | Q(is_registered_society=False),
                name="only_organisations_are_registered_societies",
            ),
            models.CheckConstraint(
                condition=Q(kind="organisation") | Q(date_of_birth__isnull=False),
                name="person_has_date_of_birth",
                violation_error_message="A person's date of birth is needed.",
            ),
        ]

    def __str__(self):
        return self.name

    def is_exempt_from_holding_limit_in(self, society: Society) -> bool:
        """A registered society is exempt from the statutory limit (s.24) in a society whose board
        has checked it and recorded the exemption; nowhere else, and never a person."""
        return (
            self.kind == self.Kind.ORGANISATION
            and self.pk is not None
            and HoldingLimitExemption.objects.filter(society=society, holder=self).exists()
        )


class HoldingLimitExemption(models.Model):
    """A society's board records that an organisation holding its shares is a registered society,
    and so has no limit on its withdrawable shares (Co-operative and Community Benefit Societies
    Act 2014, s.24). Per society, because each board checks the Mutuals Public Register for itself;
    who recorded it, when and on what evidence is kept, and ending it is audited too."""

    society = models.ForeignKey(Society, on_delete=models.PROTECT, related_name="limit_exemptions")
    holder = models.ForeignKey(Holder, on_delete=models.PROTECT, related_name="limit_exemptions")
    evidence = models.TextField(help_text="What the board checked, e.g. the Mutuals Public Register entry.")
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    granted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["society", "holder"], name="one_limit_exemption_per_society"),
        ]

    def __str__(self):
        return f"{self.holder} — no holding limit in {self.society}"


class LedgerEntry(ChainedEntry):
    """One movement of shares, for ever. Holdings are derived from these.

    Numbered without gaps per society and chained (`shares.chain`): each entry's hash covers
    its canonical content and the previous entry's hash, so a changed or missing entry shows up
    in `verify_register`. Never updated or deleted (refused here and by a PostgreSQL trigger).
    """

    class Kind(models.TextChoices):
        ISSUE = "issue", "Issue"
        WITHDRAWAL = "withdrawal", "Withdrawal"
        TRANSFER = "transfer", "Transfer"
        REDEMPTION = "redemption", "Redemption"
        CANCELLATION = "cancellation", "Cancellation"

    GENESIS_HASH = GENESIS_HASH
    append_only_what = "The share register is append-only: ledger entries"
    append_only_error = RegisterError

    society = models.ForeignKey(Society, on_delete=models.PROTECT, related_name="ledger")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    holder = models.ForeignKey(Holder, on_delete=models.PROTECT, related_name="ledger_entries")
    counterparty = models.ForeignKey(
        Holder,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="incoming_transfers",
        help_text="The holder receiving the shares, for a transfer.",
    )
    share_class = models.ForeignKey(ShareClass, on_delete=models.PROTECT, related_name="ledger_entries")
    shares = models.PositiveIntegerField()
    amount = MoneyField(**MONEY, help_text="Paid-up capital the shares carry.")
    effective_date = models.DateField()
    reference = models.CharField(max_length=200, blank=True)
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["society", "sequence"]
        verbose_name_plural = "ledger entries"
        constraints = [
            models.UniqueConstraint(fields=["society", "sequence"], name="ledger_sequence_unique"),
            models.CheckConstraint(condition=Q(sequence__gte=1), name="ledger_sequence_from_one"),
            models.CheckConstraint(condition=Q(shares__gt=0), name="ledger_shares_positive"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="ledger_amount_not_negative"),
            models.CheckConstraint(
                condition=Q(kind="transfer", counterparty__isnull=False)
                | (~Q(kind="transfer") & Q(counterparty__isnull=True)),
                name="ledger_counterparty_only_for_transfers",
            ),
        ]

    def __str__(self):
        return f"#{self.sequence} {self.get_kind_display()} {self.shares} × {self.share_class.name}"

    def chain_content(self) -> dict:
        """What the hash covers (with the previous hash). Changing this breaks every existing chain."""
        return {
            "society": self.society_id,
            "sequence": self.sequence,
            "kind": self.kind,
            "holder": self.holder_id,
            "counterparty": self.counterparty_id,
            "share_class": self.share_class_id,
            "shares": self.shares,
            "amount": f"{self.amount.amount:.2f}",
            "currency": str(self.amount.currency),
            "effective_date": self.effective_date.isoformat(),
            "reference": self.reference,
            "recorded_at": self.recorded_at.isoformat(timespec="microseconds"),
        }


class Holding(models.Model):
    """What a holder has in one share class now: the running total of their ledger entries."""

    holder = models.ForeignKey(Holder, on_delete=models.PROTECT, related_name="holdings")
    share_class = models.ForeignKey(ShareClass, on_delete=models.PROTECT, related_name="holdings")
    shares = models.IntegerField(default=0)
    amount_paid = MoneyField(**MONEY)
    first_issued_on = models.DateField()
    ceased_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["share_class", "holder"]
        constraints = [
            models.UniqueConstraint(fields=["holder", "share_class"], name="one_holding_per_class"),
            models.CheckConstraint(condition=Q(shares__gte=0), name="holding_never_negative"),
            models.CheckConstraint(condition=Q(amount_paid__gte=0), name="holding_amount_never_negative"),
        ]

    def __str__(self):
        return f"{self.holder}: {self.shares} × {self.share_class.name}"


def new_verification_token() -> str:
    return secrets.token_urlsafe(18)


class Certificate(models.Model):
    """A share certificate: proof of one holding of shares, tied to the register entry that
    created it and carrying that entry's hash. Numbered without gaps per society.

    Whenever the holding changes (withdrawal, transfer, redemption, cancellation) the
    certificates it had stop being valid and a new one is issued for any balance, so exactly
    the valid certificates of a holder add up to their holding. Anyone with the token can check
    a certificate at `/verify/<token>`.
    """

    class State(models.TextChoices):
        VALID = "valid", "Valid"
        SUPERSEDED = "superseded", "Superseded by a later certificate"
        CANCELLED = "cancelled", "Cancelled: the shares are no longer held"

    society = models.ForeignKey(Society, on_delete=models.PROTECT, related_name="certificates")
    number = models.PositiveIntegerField()
    holder = models.ForeignKey(Holder, on_delete=models.PROTECT, related_name="certificates")
    share_class = models.ForeignKey(ShareClass, on_delete=models.PROTECT, related_name="certificates")
    shares = models.PositiveIntegerField()
    issued_on = models.DateField()
    ledger_entry = models.ForeignKey(LedgerEntry, on_delete=models.PROTECT, related_name="certificates")
    entry_hash = models.CharField(max_length=64)
    state = models.CharField(max_length=12, choices=State.choices, default=State.VALID)
    ended_by = models.ForeignKey(
        LedgerEntry, null=True, blank=True, on_delete=models.PROTECT, related_name="ended_certificates"
    )
    verification_token = models.CharField(max_length=40, unique=True, default=new_verification_token)

    class Meta:
        ordering = ["society", "number"]
        constraints = [
            models.UniqueConstraint(fields=["society", "number"], name="certificate_number_unique"),
            models.CheckConstraint(condition=Q(number__gte=1), name="certificate_number_from_one"),
            models.CheckConstraint(condition=Q(shares__gt=0), name="certificate_shares_positive"),
        ]

    def __str__(self):
        return f"Certificate {self.number}: {self.shares} × {self.share_class.name} to {self.holder}"
