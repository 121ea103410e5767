"""A society's FairShares surplus rules: how each year's surplus is split between reserves and
its Labour, User and Investor members, and how each part is paid.

A model of the `capital` app (re-exported by `capital.models`), kept in its own module because
it is its own subject: the rules are the directors' decision, the surplus run reads them.
"""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Abs
from django.db.models.lookups import LessThan

PERCENT = {
    "max_digits": 5,
    "decimal_places": 2,
    "validators": [MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
}
# FairShares guidance: at least this much of the surplus to Labour and User together. Rules that
# give less are allowed, but only once the board has confirmed it knows.
GUIDANCE_LABOUR_AND_USER_PERCENT = Decimal("60")


class SurplusRules(models.Model):
    """How a society splits its surplus, one set of rules per society, changed only by its
    directors (`capital.services.save_surplus_rules`) and announced as a decision.

    The four fractions add up to 100% (a database constraint), and the investor fraction never
    passes the rules' own maximum. Labour is split by the year's recorded contribution (hours or
    pay) or by labour shares held; User by each member's trade with the society. Each part is
    paid in money, or as new investor shares (FairShares' "member shares") with the rest in
    money. A surplus run keeps a copy of the rules it was worked out on (`as_record`).
    """

    class LabourBasis(models.TextChoices):
        CONTRIBUTION = "contribution", "The year's recorded contribution (hours or pay)"
        SHARES = "shares", "Labour shares held at the year end"

    class PayAs(models.TextChoices):
        CASH = "cash", "Money"
        SHARES = "shares", "New investor shares (member shares), the rest in money"

    society = models.OneToOneField("capital.Society", on_delete=models.PROTECT, related_name="surplus_rules")
    reserves_percent = models.DecimalField(**PERCENT, default=Decimal("15"), verbose_name="Reserves (%)")
    labour_percent = models.DecimalField(**PERCENT, default=Decimal("35"), verbose_name="Labour (%)")
    user_percent = models.DecimalField(**PERCENT, default=Decimal("25"), verbose_name="User (%)")
    investor_percent = models.DecimalField(
        **PERCENT,
        default=Decimal("25"),
        verbose_name="Investor (%)",
        help_text="Paid through each investor class's return schedule; never above the maximum.",
    )
    investor_maximum_percent = models.DecimalField(
        **PERCENT, default=Decimal("30"), verbose_name="Most the rules allow investors (%)"
    )
    labour_class = models.ForeignKey(
        "capital.ShareClass",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The labour members' class: its holders at the year end share the Labour part.",
    )
    labour_basis = models.CharField(
        max_length=16, choices=LabourBasis.choices, default=LabourBasis.CONTRIBUTION
    )
    labour_pay_as = models.CharField(max_length=8, choices=PayAs.choices, default=PayAs.CASH)
    user_class = models.ForeignKey(
        "capital.ShareClass",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The user members' class: its holders at the year end share the User part.",
    )
    user_pay_as = models.CharField(max_length=8, choices=PayAs.choices, default=PayAs.CASH)
    member_shares_class = models.ForeignKey(
        "capital.ShareClass",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The investor class member shares are issued in, at its nominal value.",
    )
    below_guidance_confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    below_guidance_confirmed_at = models.DateTimeField(null=True, blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    changed_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "surplus rules"
        verbose_name_plural = "surplus rules"
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    reserves_percent__gte=0,
                    labour_percent__gte=0,
                    user_percent__gte=0,
                    investor_percent__gte=0,
                    investor_maximum_percent__lte=100,
                ),
                name="surplus_rules_fractions_not_negative",
            ),
            models.CheckConstraint(
                # Within a thousandth, not exactly: SQLite adds decimals as floating point.
                condition=LessThan(
                    Abs(
                        F("reserves_percent")
                        + F("labour_percent")
                        + F("user_percent")
                        + F("investor_percent")
                        - Decimal("100")
                    ),
                    Decimal("0.001"),
                ),
                name="surplus_rules_add_up_to_100",
                violation_error_message="Reserves, Labour, User and Investor must add up to 100%.",
            ),
            models.CheckConstraint(
                condition=Q(investor_percent__lte=F("investor_maximum_percent")),
                name="surplus_rules_investor_within_maximum",
                violation_error_message="The investor fraction may not pass the rules' maximum.",
            ),
            models.CheckConstraint(
                condition=(~Q(labour_pay_as="shares") & ~Q(user_pay_as="shares"))
                | Q(member_shares_class__isnull=False),
                name="surplus_rules_member_shares_need_a_class",
                violation_error_message="Paying a part as member shares needs the class to issue them in.",
            ),
        ]

    def __str__(self):
        return f"Surplus rules of {self.society}"

    @property
    def labour_and_user_percent(self) -> Decimal:
        return self.labour_percent + self.user_percent

    @property
    def below_guidance(self) -> bool:
        return self.labour_and_user_percent < GUIDANCE_LABOUR_AND_USER_PERCENT

    def clean(self):
        errors = {}
        total = self.reserves_percent + self.labour_percent + self.user_percent + self.investor_percent
        if total != 100:
            errors["reserves_percent"] = (
                f"Reserves, Labour, User and Investor add up to {total.normalize():f}%; they must make 100%."
            )
        if self.investor_percent > self.investor_maximum_percent:
            errors["investor_percent"] = (
                f"The rules allow investors at most {self.investor_maximum_percent.normalize():f}%."
            )
        for name, kind in (
            ("labour_class", "labour"),
            ("user_class", "user"),
            ("member_shares_class", "investor"),
        ):
            share_class = getattr(self, name)
            if share_class is None:
                continue
            if self.society_id and share_class.society_id != self.society_id:
                errors[name] = f"Choose one of {self.society}'s own share classes."
            elif share_class.kind != kind:
                errors[name] = f"Choose a class of {kind} shares."
        for part, percent, share_class in (
            ("labour", self.labour_percent, self.labour_class),
            ("user", self.user_percent, self.user_class),
        ):
            if percent and share_class is None:
                errors[f"{part}_class"] = f"A {part} part needs the class whose members share it."
        if self.PayAs.SHARES in (self.labour_pay_as, self.user_pay_as) and self.member_shares_class is None:
            errors["member_shares_class"] = "Paying a part as member shares needs the class to issue them in."
        if errors:
            raise ValidationError(errors)

    def in_words(self) -> list[str]:
        """The rules in plain words, as the decision record and the board's pages give them."""
        labour_by = (
            "the hours or pay each labour member contributed in the year"
            if self.labour_basis == self.LabourBasis.CONTRIBUTION
            else "the labour shares each holds at the year end"
        )
        sentences = [
            f"Of each year's surplus, {_percent(self.reserves_percent)} goes to reserves, "
            f"{_percent(self.labour_percent)} to Labour, {_percent(self.user_percent)} to User and "
            f"{_percent(self.investor_percent)} to Investor (the rules allow investors at most "
            f"{_percent(self.investor_maximum_percent)}).",
        ]
        if self.labour_percent:
            sentences.append(
                f"Labour is shared among the holders of {_name(self.labour_class)} in proportion to "
                f"{labour_by}, paid {self._paid_as(self.labour_pay_as)}."
            )
        if self.user_percent:
            sentences.append(
                f"User is shared among the holders of {_name(self.user_class)} in proportion to their trade "
                f"with the society in the year, paid {self._paid_as(self.user_pay_as)}."
            )
        sentences.append(
            "Investor is paid through each investor class's return schedule, within its caps; whatever "
            "a part does not pay stays in reserves."
        )
        if self.below_guidance:
            sentences.append(
                f"Labour and User together take {_percent(self.labour_and_user_percent)}, less than the "
                f"{_percent(GUIDANCE_LABOUR_AND_USER_PERCENT)} FairShares guidance suggests; the board "
                "confirmed this."
            )
        return sentences

    def _paid_as(self, pay_as: str) -> str:
        if pay_as == self.PayAs.SHARES:
            return f"as new {_name(self.member_shares_class)} at their nominal value, the rest in money"
        return "in money"

    @classmethod
    def from_record(cls, society, record: dict) -> "SurplusRules":
        """The rules a surplus run kept (`as_record`), as an unsaved row to read or describe."""
        return cls(
            society=society,
            reserves_percent=Decimal(record["reserves_percent"]),
            labour_percent=Decimal(record["labour_percent"]),
            user_percent=Decimal(record["user_percent"]),
            investor_percent=Decimal(record["investor_percent"]),
            investor_maximum_percent=Decimal(record["investor_maximum_percent"]),
            labour_class_id=record["labour_class"],
            labour_basis=record["labour_basis"],
            labour_pay_as=record["labour_pay_as"],
            user_class_id=record["user_class"],
            user_pay_as=record["user_pay_as"],
            member_shares_class_id=record["member_shares_class"],
        )

    def as_record(self) -> dict:
        """The rules as plain JSON, kept with a surplus run and compared at its approval."""
        return {
            "reserves_percent": f"{self.reserves_percent:.2f}",
            "labour_percent": f"{self.labour_percent:.2f}",
            "user_percent": f"{self.user_percent:.2f}",
            "investor_percent": f"{self.investor_percent:.2f}",
            "investor_maximum_percent": f"{self.investor_maximum_percent:.2f}",
            "labour_class": self.labour_class_id,
            "labour_basis": self.labour_basis,
            "labour_pay_as": self.labour_pay_as,
            "user_class": self.user_class_id,
            "user_pay_as": self.user_pay_as,
            "member_shares_class": self.member_shares_class_id,
        }


def _percent(value: Decimal) -> str:
    """35.00 → "35%", 12.50 → "12.5%"."""
    return f"{value.normalize():f}%"


def _name(share_class) -> str:
    return share_class.name if share_class is not None else "(no class chosen)"
