"""The FairShares surplus on the real register: the year's labour and user contributions as the
society records them, and one surplus run per financial year that splits the surplus between
reserves, Labour, User and Investor and pays each part."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Abs
from django.db.models.lookups import LessThan
from djmoney.models.fields import MoneyField

from capital.lifecycle import Lifecycle
from capital.models import MONEY, ShareClass, Society
from investors.errors import SurplusRunError
from investors.models.payouts import PayoutResolution, payout_resolution_constraint
from investors.models.runs import DistributionRun
from shares.models import Holder, LedgerEntry

AMOUNT = {"max_digits": 14, "decimal_places": 2}
WEIGHT = {"max_digits": 18, "decimal_places": 4}


class Part(models.TextChoices):
    """The parts of a surplus paid to members here; the investor part is paid by distribution runs."""

    LABOUR = "labour", "Labour"
    USER = "user", "User"


class ContributionImport(models.Model):
    """One file of a financial year's contributions for one part: hours or pay (Labour), or
    each member's trade with the society (User).

    Importing the year's figures again supersedes the file before (kept for the record): a
    society's figures for a part and a year are its one `current` import, which the database
    guarantees. A surplus run remembers the import it was worked out on, so that it notices a
    newer one before it is approved.
    """

    society = models.ForeignKey(Society, on_delete=models.PROTECT, related_name="contribution_imports")
    part = models.CharField(max_length=8, choices=Part.choices)
    year_end = models.DateField(help_text="The last day of the financial year the figures are for.")
    filename = models.CharField(max_length=200, blank=True)
    digest = models.CharField(max_length=64, help_text="SHA-256 of the file as imported.")
    rows = models.PositiveIntegerField(help_text="Lines with a contribution in the file.")
    total = models.DecimalField(**WEIGHT)
    current = models.BooleanField(default=True)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    imported_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["society_id", "-year_end", "part", "-imported_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["society", "part", "year_end"],
                condition=Q(current=True),
                name="one_current_contribution_import",
            ),
            models.CheckConstraint(condition=Q(total__gte=0), name="contribution_import_total_not_negative"),
        ]

    def __str__(self):
        return f"{self.get_part_display()} contributions, year ending {self.year_end:%-d %B %Y}"


class Contribution(models.Model):
    """One member's contribution in one import: the file's lines for them added together."""

    batch = models.ForeignKey(ContributionImport, on_delete=models.CASCADE, related_name="contributions")
    holder = models.ForeignKey(Holder, on_delete=models.PROTECT, related_name="contributions")
    amount = models.DecimalField(**WEIGHT)
    lines = models.CharField(max_length=200, help_text="The file's line numbers it came from.")

    class Meta:
        ordering = ["batch_id", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["batch", "holder"], name="one_contribution_per_member_per_import"
            ),
            models.CheckConstraint(condition=Q(amount__gte=0), name="contribution_not_negative"),
        ]

    def __str__(self):
        return f"{self.holder}: {self.amount}"


class SurplusRun(Lifecycle, models.Model):
    """One financial year's surplus of one society, split by its rules and paid.

    A draft while the board reads it: starting the year again replaces the draft. Approval (a
    director's) writes every register entry in one transaction: member shares for the labour
    and user parts paid that way, and the investor classes' own distribution runs, which the
    surplus run starts and approves with it (`investor_runs`). So a society has at most one
    approved (or paid) surplus run per year, which the database guarantees, and its parts and
    reserves always add up to the surplus.

    `rules` keeps the surplus rules the figures were worked out on; `ledger_sequence` the
    register's head then; `labour_import` and `user_import` the contributions used: approval
    refuses a draft that any of them has moved under.
    """

    class State(models.TextChoices):
        DRAFT = "draft", "Draft (preview)"
        APPROVED = "approved", "Approved by the board"
        PAID = "paid", "Paid"

    lifecycle_error = SurplusRunError
    TRANSITIONS = {
        State.DRAFT: {State.APPROVED},
        State.APPROVED: {State.PAID},
        State.PAID: set(),
    }
    DECIDED = (State.APPROVED, State.PAID)

    society = models.ForeignKey(Society, on_delete=models.PROTECT, related_name="surplus_runs")
    starts_on = models.DateField()
    ends_on = models.DateField(help_text="The financial year's last day.")
    surplus = MoneyField(**MONEY, help_text="The year's declared surplus (a loss is negative).")
    rules = models.JSONField(help_text="The surplus rules the split was worked out on.")
    ledger_sequence = models.PositiveIntegerField(
        help_text="The last register entry when the split was worked out (0: an empty register)."
    )
    labour_import = models.ForeignKey(
        ContributionImport, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    user_import = models.ForeignKey(
        ContributionImport, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    investor_runs = models.ManyToManyField(DistributionRun, blank=True, related_name="surplus_runs")
    investor_run_ids = models.JSONField(
        default=list, help_text="The investor runs the preview counted, to notice one replaced since."
    )
    state = models.CharField(max_length=16, choices=State.choices, default=State.DRAFT, editable=False)
    reserves = MoneyField(**MONEY, editable=False)
    labour = MoneyField(**MONEY, editable=False, help_text="The Labour part.")
    user = MoneyField(**MONEY, editable=False, help_text="The User part.")
    investor = MoneyField(**MONEY, editable=False, help_text="Paid by the investor classes' runs.")
    notes = models.JSONField(default=list, help_text="What the preview left out, and why.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    approved_on = models.DateField(null=True, blank=True)
    paid_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    paid_at = models.DateTimeField(null=True, blank=True)
    paid_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["society_id", "-ends_on", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["society", "ends_on"],
                condition=Q(state__in=["approved", "paid"]),
                name="one_approved_surplus_run_per_year",
                violation_error_message="This society already has an approved surplus run for that year.",
            ),
            models.UniqueConstraint(
                fields=["society", "ends_on"],
                condition=Q(state="draft"),
                name="one_draft_surplus_run_per_year",
            ),
            models.CheckConstraint(
                condition=Q(ends_on__gt=F("starts_on")), name="surplus_run_year_ends_after_start"
            ),
            models.CheckConstraint(
                # Within a tenth of a penny, not exactly: SQLite adds decimals as floating point.
                condition=LessThan(
                    Abs(F("surplus") - F("reserves") - F("labour") - F("user") - F("investor")),
                    Decimal("0.001"),
                ),
                name="surplus_run_parts_and_reserves_make_the_surplus",
            ),
            models.CheckConstraint(
                condition=Q(labour__gte=0, user__gte=0, investor__gte=0),
                name="surplus_run_parts_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(state="draft") | Q(approved_at__isnull=False, approved_on__isnull=False),
                name="surplus_run_approval_recorded_with_its_day",
            ),
            models.CheckConstraint(
                condition=~Q(state="paid") | Q(paid_at__isnull=False, paid_on__isnull=False),
                name="surplus_run_payment_recorded",
            ),
        ]

    def __str__(self):
        return f"Surplus of {self.society}, year ending {self.ends_on:%-d %B %Y}: {self.get_state_display()}"

    def about(self) -> str:
        return f"The surplus run for the year ending {self.ends_on:%-d %B %Y}"


class SurplusLine(PayoutResolution, models.Model):
    """One member's share of the Labour or User part: what they contributed (or the labour
    shares they held), what they are paid, and how: in money (`cash`) or as new member shares
    at nominal value with the rest in money. `ledger_entry` is the issue of those shares, once
    the run is approved. `payout` is how its money reaches a member who gave no payout account."""

    run = models.ForeignKey(SurplusRun, on_delete=models.CASCADE, related_name="lines")
    part = models.CharField(max_length=8, choices=Part.choices)
    holder = models.ForeignKey(Holder, on_delete=models.PROTECT, related_name="surplus_lines")
    share_class = models.ForeignKey(
        ShareClass, on_delete=models.PROTECT, related_name="+", help_text="The part's membership class."
    )
    weight = models.DecimalField(**WEIGHT, help_text="The contribution (or labour shares) it is split by.")
    paid = models.DecimalField(**AMOUNT)
    cash = models.DecimalField(**AMOUNT, help_text="The part of `paid` paid in money.")
    member_shares = models.PositiveIntegerField(default=0)
    ledger_entry = models.OneToOneField(
        LedgerEntry, null=True, blank=True, on_delete=models.PROTECT, related_name="surplus_line"
    )

    class Meta:
        ordering = ["run_id", "part", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["run", "part", "holder"], name="one_surplus_line_per_member_part"
            ),
            models.CheckConstraint(
                condition=Q(weight__gte=0, paid__gte=0, cash__gte=0), name="surplus_line_amounts_not_negative"
            ),
            models.CheckConstraint(condition=Q(cash__lte=F("paid")), name="surplus_line_cash_within_paid"),
            payout_resolution_constraint("surplus_line_payout_resolution_has_a_note"),
        ]

    def __str__(self):
        return f"{self.holder}: {self.get_part_display()} {self.paid}"
