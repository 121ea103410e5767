"""Nominations (Co-operative and Community Benefit Societies Act 2014, s.37): a member names who
is to receive their property in the society when they die, up to the statutory limit, without
waiting for probate. The society keeps the nominations book."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q

from capital.encryption import EncryptedDateField
from capital.lifecycle import Lifecycle
from capital.models import Society
from investors.errors import NominationError
from shares.models import Holder

# s.37: what may pass by nomination, in total.
STATUTORY_NOMINATION_LIMIT = Decimal("5000.00")


class Nomination(Lifecycle, models.Model):
    """One member's nomination in one society, with its nominees. A new nomination supersedes
    the one before (kept in the book); the member can revoke it; on their death it is carried
    out (`executed`). At most one is in force per member and society (a database constraint)."""

    class State(models.TextChoices):
        ACTIVE = "active", "In force"
        SUPERSEDED = "superseded", "Replaced by a later nomination"
        REVOKED = "revoked", "Revoked by the member"
        EXECUTED = "executed", "Carried out on the member's death"

    lifecycle_error = NominationError
    TRANSITIONS = {
        State.ACTIVE: {State.SUPERSEDED, State.REVOKED, State.EXECUTED},
        State.SUPERSEDED: set(),
        State.REVOKED: set(),
        State.EXECUTED: set(),
    }

    holder = models.ForeignKey(Holder, on_delete=models.PROTECT, related_name="nominations")
    society = models.ForeignKey(Society, on_delete=models.PROTECT, related_name="nominations")
    state = models.CharField(max_length=12, choices=State.choices, default=State.ACTIVE)
    made_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["society_id", "holder__name", "-made_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["holder", "society"], condition=Q(state="active"), name="one_nomination_in_force"
            ),
            models.CheckConstraint(
                condition=Q(state="active") | Q(ended_at__isnull=False), name="nomination_end_recorded"
            ),
        ]

    def __str__(self):
        return f"Nomination by {self.holder} ({self.get_state_display().lower()})"

    def about(self) -> str:
        return "This nomination"


class Nominee(models.Model):
    """Someone a nomination names, and their share of what passes by it."""

    class Relationship(models.TextChoices):
        SPOUSE = "spouse", "Husband, wife or civil partner"
        PARENT = "parent", "Father or mother"
        CHILD = "child", "Son or daughter"
        SIBLING = "sibling", "Brother or sister"
        NEPHEW_OR_NIECE = "nephew_niece", "Nephew or niece"
        OTHER_RELATIVE = "relative", "Another relative"
        OTHER = "other", "Someone else"

    # s.37: a nomination of an officer or employee of the society is void unless they are one of these.
    MAY_BE_OFFICER = {
        Relationship.SPOUSE,
        Relationship.PARENT,
        Relationship.CHILD,
        Relationship.SIBLING,
        Relationship.NEPHEW_OR_NIECE,
    }

    nomination = models.ForeignKey(Nomination, on_delete=models.CASCADE, related_name="nominees")
    name = models.CharField(max_length=200)
    postal_address = models.TextField()
    email = models.EmailField(blank=True)
    date_of_birth = EncryptedDateField(
        null=True,
        blank=True,
        help_text="Needed to enter them on the register if shares are transferred to them.",
    )
    relationship = models.CharField(max_length=16, choices=Relationship.choices)
    is_officer_or_employee = models.BooleanField(default=False)
    percent = models.DecimalField(max_digits=5, decimal_places=2, help_text="Their share of what passes.")

    class Meta:
        ordering = ["nomination_id", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(percent__gt=0, percent__lte=100), name="nominee_percent_in_range"
            ),
            models.CheckConstraint(
                condition=Q(is_officer_or_employee=False)
                | Q(relationship__in=["spouse", "parent", "child", "sibling", "nephew_niece"]),
                name="nominee_officer_only_if_close_relative",
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.percent.normalize():f}%)"
