"""Distribution runs: a share class's returns for one financial year, worked out on the real
register, previewed, approved by the board and paid; and what holders tell us about being paid."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import F, Q
from djmoney.models.fields import MoneyField

from capital.encryption import EncryptedCharField
from capital.lifecycle import Lifecycle
from capital.models import MONEY, ShareClass
from investors.errors import RunError
from investors.models.payouts import PayoutResolution, payout_resolution_constraint
from shares.models import Holder, Holding

AMOUNT = {"max_digits": 14, "decimal_places": 2}


class DistributionRun(Lifecycle, models.Model):
    """One share class's returns for one financial year.

    A run is a draft while the board looks at it: starting the same year again replaces the
    draft, because the register or the declared surplus may have changed. Approval is the
    board's decision and writes to the register (caps, redemptions, reinvested interest), so a
    class has at most one approved (or paid) run per year, which the database guarantees.
    `ledger_sequence` is the register's head when the lines were computed: approval refuses a
    draft that the register has since moved under. `terms` keeps the schedule the lines were
    computed on, for the record and to notice a schedule edited after the preview.
    """

    class State(models.TextChoices):
        DRAFT = "draft", "Draft (preview)"
        APPROVED = "approved", "Approved by the board"
        PAID = "paid", "Paid"

    lifecycle_error = RunError
    TRANSITIONS = {
        State.DRAFT: {State.APPROVED},
        State.APPROVED: {State.PAID},
        State.PAID: set(),
    }
    DECIDED = (State.APPROVED, State.PAID)

    share_class = models.ForeignKey(ShareClass, on_delete=models.PROTECT, related_name="distribution_runs")
    year = models.PositiveSmallIntegerField(help_text="The financial year's number in the schedule, from 1.")
    starts_on = models.DateField()
    ends_on = models.DateField()
    surplus = MoneyField(**MONEY, null=True, blank=True, help_text="The declared surplus (profit share).")
    declared_rate_percent = models.DecimalField(
        max_digits=5, decimal_places=2, null=True, blank=True, help_text="The interest rate paid (interest)."
    )
    terms = models.JSONField(help_text="The schedule's terms the lines were computed on.")
    ledger_sequence = models.PositiveIntegerField(
        help_text="The last register entry when the lines were computed (0: an empty register)."
    )
    state = models.CharField(max_length=16, choices=State.choices, default=State.DRAFT, editable=False)
    pool = MoneyField(**MONEY, editable=False)
    paid = MoneyField(**MONEY, editable=False)
    retained = MoneyField(**MONEY, editable=False)
    redeemed = MoneyField(**MONEY, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    approved_on = models.DateField(
        null=True, blank=True, help_text="The day the approval is dated: the register's changes carry it."
    )
    paid_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    paid_at = models.DateTimeField(null=True, blank=True)
    paid_on = models.DateField(
        null=True, blank=True, help_text="The day the money left the bank: it decides the tax year."
    )

    class Meta:
        ordering = ["share_class_id", "year", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["share_class", "year"],
                condition=Q(state__in=["approved", "paid"]),
                name="one_approved_run_per_class_year",
                violation_error_message="This class already has an approved run for that year.",
            ),
            models.UniqueConstraint(
                fields=["share_class", "year"],
                condition=Q(state="draft"),
                name="one_draft_run_per_class_year",
            ),
            models.CheckConstraint(condition=Q(year__gte=1), name="run_year_from_one"),
            models.CheckConstraint(condition=Q(ends_on__gt=F("starts_on")), name="run_year_ends_after_start"),
            models.CheckConstraint(
                condition=Q(surplus__isnull=False, declared_rate_percent__isnull=True)
                | Q(surplus__isnull=True, declared_rate_percent__isnull=False),
                name="run_has_a_surplus_or_a_rate",
                violation_error_message="A run is for a declared surplus or a declared rate, not both.",
            ),
            models.CheckConstraint(
                condition=Q(pool=F("paid") + F("retained")), name="run_paid_and_retained_make_the_pool"
            ),
            models.CheckConstraint(
                condition=Q(paid__gte=0, retained__gte=0, redeemed__gte=0), name="run_totals_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(state="draft") | Q(approved_at__isnull=False, approved_on__isnull=False),
                name="run_approval_recorded_with_its_day",
            ),
            models.CheckConstraint(
                condition=~Q(state="paid") | Q(paid_at__isnull=False, paid_on__isnull=False),
                name="run_payment_recorded",
            ),
        ]

    def __str__(self):
        return f"{self.share_class.name}, year {self.year} ({self.ends_on}): {self.get_state_display()}"

    @property
    def society(self):
        return self.share_class.society

    @property
    def is_interest(self) -> bool:
        return self.declared_rate_percent is not None

    def about(self) -> str:
        return f"The run for year {self.year} of {self.share_class.name}"


class DistributionLine(PayoutResolution, models.Model):
    """One holding's year in a run: the engine's line, kept so the payment, the register's
    changes and every later statement can be traced to it.

    Amounts are in the run's currency (the society's), so the columns are plain decimals: a run
    over a large register writes one row per holding. `paid` is the whole return for the year;
    for interest taken as shares it splits into `reinvested_shares` at nominal value and `cash`.
    `cumulative` and `status` are the holding's state after this year, which the next year's
    run carries forward. `closes_holding` marks the year a holding reached its cap or was
    redeemed: approving the run cancels or redeems its shares.
    """

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        CAPPED = "capped", "Reached its cap"
        REDEEMED = "redeemed", "Redeemed at the term's end"

    run = models.ForeignKey(DistributionRun, on_delete=models.CASCADE, related_name="lines")
    holding = models.ForeignKey(Holding, on_delete=models.PROTECT, related_name="distribution_lines")
    holder = models.ForeignKey(Holder, on_delete=models.PROTECT, related_name="distribution_lines")
    capital = models.DecimalField(**AMOUNT, help_text="Paid-up capital at the year end.")
    days_held = models.PositiveSmallIntegerField()
    paid = models.DecimalField(**AMOUNT)
    redeemed = models.DecimalField(**AMOUNT)
    cumulative = models.DecimalField(**AMOUNT, help_text="All paid and repaid so far, this year included.")
    status = models.CharField(max_length=16, choices=Status.choices)
    closes_holding = models.BooleanField(default=False)
    cash = models.DecimalField(**AMOUNT, help_text="The part of `paid` paid in money.")
    reinvested_shares = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["run_id", "holding_id"]
        constraints = [
            models.UniqueConstraint(fields=["run", "holding"], name="one_line_per_holding_per_run"),
            models.CheckConstraint(
                condition=Q(capital__gt=0, paid__gte=0, redeemed__gte=0, cash__gte=0),
                name="line_amounts_not_negative",
            ),
            models.CheckConstraint(condition=Q(cash__lte=F("paid")), name="line_cash_within_paid"),
            models.CheckConstraint(
                condition=Q(cumulative__gte=F("paid") + F("redeemed")), name="line_cumulative_includes_year"
            ),
            models.CheckConstraint(
                condition=Q(closes_holding=False) | ~Q(status="active"), name="line_closes_only_when_ended"
            ),
            payout_resolution_constraint("line_payout_resolution_has_a_note"),
        ]

    def __str__(self):
        return f"{self.holder}: {self.paid} paid, {self.redeemed} redeemed ({self.status})"

    @property
    def bank_amount(self):
        """What goes to the holder's bank account: interest or profit in cash, and capital repaid."""
        return self.cash + self.redeemed


class InterestElection(models.Model):
    """How a holder takes interest on one class: as money (the default when there is no row) or
    as new whole shares at nominal value, with what is left over in money."""

    class TakeAs(models.TextChoices):
        CASH = "cash", "Money"
        SHARES = "shares", "New shares"

    holder = models.ForeignKey(Holder, on_delete=models.CASCADE, related_name="interest_elections")
    share_class = models.ForeignKey(ShareClass, on_delete=models.CASCADE, related_name="interest_elections")
    take_as = models.CharField(max_length=8, choices=TakeAs.choices, default=TakeAs.CASH)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["holder", "share_class"], name="one_interest_election_per_class"),
        ]

    def __str__(self):
        return f"{self.holder}: interest on {self.share_class.name} as {self.get_take_as_display().lower()}"


def validate_iban_checksum(value: str) -> None:
    """ISO 13616: move the first four characters to the end, letters to numbers, mod 97 is 1."""
    rearranged = value[4:] + value[:4]
    if int("".join(str(int(character, 36)) for character in rearranged)) % 97 != 1:
        raise ValidationError("This IBAN's check digits are wrong; copy it again from a bank statement.")


class PayoutAccount(models.Model):
    """Where a holder's returns are paid, for the bank's payment file. Every field is optional:
    a holder without details still appears in the file, for the treasurer to complete by hand."""

    holder = models.OneToOneField(Holder, on_delete=models.CASCADE, related_name="payout_account")
    account_name = models.CharField(max_length=140, blank=True)
    sort_code = EncryptedCharField(
        max_length=6,
        blank=True,
        validators=[RegexValidator(r"^\d{6}$", "A sort code is six digits, without dashes.")],
    )
    account_number = EncryptedCharField(
        max_length=8,
        blank=True,
        validators=[RegexValidator(r"^\d{8}$", "A UK account number is eight digits.")],
    )
    iban = EncryptedCharField(
        max_length=34,
        blank=True,
        validators=[
            RegexValidator(r"^[A-Z]{2}\d{2}[A-Z0-9]{11,30}$", "Write the IBAN in capitals, without spaces."),
            validate_iban_checksum,
        ],
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(sort_code="", account_number="") | (~Q(sort_code="") & ~Q(account_number="")),
                name="payout_sort_code_with_account_number",
                violation_error_message="Give the sort code and the account number together.",
            ),
        ]

    def __str__(self):
        return f"{self.holder}: {self.account_name or 'payout account'}"
