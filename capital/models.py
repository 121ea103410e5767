"""The terms on which a society raises capital: who it is, which shares it has, what it offers."""

import datetime
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import F, Q
from djmoney.models.fields import MoneyField
from djmoney.money import Money

from capital.errors import CapitalError
from capital.lifecycle import Lifecycle
from capital.money import format_money, whole_shares

MONEY = {"max_digits": 14, "decimal_places": 2, "default_currency": "GBP"}
# Co-operative and Community Benefit Societies Act 2014, s.24: the most anyone but another
# registered society may hold in withdrawable shares of one society. A society may set less.
STATUTORY_WITHDRAWABLE_LIMIT = Decimal("100000.00")


class Society(models.Model):
    """A registered society raising capital from its community.

    The currency is the society's: every amount on its classes and offers is in it. The
    financial year end is a month and day because distributions are run per financial year.
    """

    class LegalForm(models.TextChoices):
        COMMUNITY_BENEFIT = "cbs", "Community benefit society (registered society)"
        COOPERATIVE = "coop", "Co-operative society (registered society)"

    name = models.CharField(max_length=200)
    slug = models.SlugField(unique=True, help_text="Short name used in addresses and commands.")
    legal_form = models.CharField(max_length=8, choices=LegalForm.choices)
    registration_number = models.CharField(
        max_length=40, help_text="Mutuals Public Register number, e.g. RS007890."
    )
    registered_office = models.TextField()
    financial_year_end_month = models.PositiveSmallIntegerField(
        default=3, validators=[MinValueValidator(1), MaxValueValidator(12)]
    )
    financial_year_end_day = models.PositiveSmallIntegerField(
        default=31, validators=[MinValueValidator(1), MaxValueValidator(31)]
    )
    currency = models.CharField(max_length=3, default="GBP", choices=[("GBP", "GBP"), ("EUR", "EUR")])
    individual_withdrawable_limit = models.DecimalField(
        max_digits=14,
        decimal_places=2,
        default=STATUTORY_WITHDRAWABLE_LIMIT,
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(STATUTORY_WITHDRAWABLE_LIMIT)],
        help_text=(
            "Most an individual may hold in withdrawable shares of this society "
            "(£100,000 in Great Britain, £20,000 in Northern Ireland)."
        ),
    )
    minimum_member_age = models.PositiveSmallIntegerField(
        default=16,
        validators=[MinValueValidator(0), MaxValueValidator(120)],
        help_text="The youngest a person may be to apply for shares, as the society's rules say (often 16).",
    )
    bank_account_name = models.CharField(
        max_length=140, blank=True, help_text="Where investors pay by bank transfer, quoting their reference."
    )
    bank_sort_code = models.CharField(
        max_length=6,
        blank=True,
        validators=[RegexValidator(r"^\d{6}$", "A sort code is six digits, without dashes.")],
    )
    bank_account_number = models.CharField(
        max_length=8,
        blank=True,
        validators=[RegexValidator(r"^\d{8}$", "A UK account number is eight digits.")],
    )
    bank_iban = models.CharField(max_length=34, blank=True, help_text="For payments from abroad.")
    logo = models.ForeignKey(
        "wagtailimages.Image",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Printed on certificates and statements; a PNG or JPEG at least 400 pixels wide.",
    )

    class Meta:
        verbose_name_plural = "societies"
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(individual_withdrawable_limit__gt=0)
                & Q(individual_withdrawable_limit__lte=STATUTORY_WITHDRAWABLE_LIMIT),
                name="society_withdrawable_limit_within_the_law",
            ),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        try:
            self.financial_year_end_in(2001)
        except ValueError:
            raise ValidationError(
                {"financial_year_end_day": "No such day in that month (29 February is not allowed)."}
            ) from None

    def financial_year_end_in(self, year: int) -> datetime.date:
        return datetime.date(year, self.financial_year_end_month, self.financial_year_end_day)

    def money(self, amount) -> Money:
        return Money(amount, self.currency)


class SocietyRole(models.Model):
    """A seat on a society's board. Board users see and change only the societies they sit on."""

    class Role(models.TextChoices):
        DIRECTOR = "director", "Director"
        SECRETARY = "secretary", "Secretary"
        TREASURER = "treasurer", "Treasurer"

    society = models.ForeignKey(Society, on_delete=models.CASCADE, related_name="roles")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="society_roles")
    role = models.CharField(max_length=16, choices=Role.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["society", "user", "role"], name="one_seat_per_role"),
        ]

    def __str__(self):
        return f"{self.member_name()} — {self.get_role_display()} of {self.society}"

    def member_name(self) -> str:
        """Who sits in the seat: their full name, and their login so two namesakes are told apart."""
        full_name = self.user.get_full_name()
        login = self.user.get_username()
        return f"{full_name} ({login})" if full_name else login

    member_name.short_description = "Name"


INVESTOR_CONTROL_MESSAGE = (
    "An investor share class never gives control: it cannot confer membership, carry votes, "
    "nominate or remove directors, or hold a veto or class consent."
)


WITHDRAWABLE_COMMUNITY_MESSAGE = (
    "Withdrawable community shares are never transferable: a member who leaves withdraws them."
)


class ShareClass(models.Model):
    """A kind of share a society issues, with the rights that come with it.

    Control comes only from membership (one member, one vote). An investor class provides
    capital and takes a capped return; it may never carry any control right, which a database
    constraint guarantees whatever path writes the row.
    """

    class Kind(models.TextChoices):
        COMMUNITY = "community", "Community shares"
        FOUNDER = "founder", "Founder shares"
        LABOUR = "labour", "Labour shares"
        USER = "user", "User shares"
        INVESTOR = "investor", "Investor shares"

    society = models.ForeignKey(Society, on_delete=models.PROTECT, related_name="share_classes")
    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    nominal_value = MoneyField(**MONEY)
    withdrawable = models.BooleanField(default=False)
    transferable = models.BooleanField(default=False)
    confers_membership = models.BooleanField(default=False)
    membership_minimum_shares = models.PositiveIntegerField(
        default=1, help_text="Shares a holder needs in this class to be a member."
    )
    maximum_holding_shares = models.PositiveIntegerField(
        null=True, blank=True, help_text="Most shares one holder may hold in this class."
    )
    declared_maximum_interest_percent = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
        help_text="The maximum rate of interest, declared in advance of the period it is paid for.",
    )
    withdrawal_notice_days = models.PositiveSmallIntegerField(
        default=90, help_text="Notice a holder gives before a withdrawal can be paid (the society's rules)."
    )
    withdrawals_open_from = models.DateField(
        null=True,
        blank=True,
        help_text="No withdrawal is paid before this day (many societies wait three years or more).",
    )
    redemption_minimum_holding_years = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        help_text="Investor shares: holders may ask to be redeemed from the redemption fund once their "
        "shares have been held this many years (blank: no redemption on request).",
    )
    redemption_price = MoneyField(
        **MONEY,
        null=True,
        blank=True,
        help_text="Investor shares: what the society pays for each share it redeems (blank: par).",
    )
    withdrawal_yearly_limit = MoneyField(
        **MONEY,
        null=True,
        blank=True,
        help_text="Most the society repays in withdrawals of this class in a financial year (blank: none).",
    )
    withdrawals_suspended = models.BooleanField(
        default=False, help_text="The board's power to suspend withdrawals; requests wait in the queue."
    )
    withdrawals_suspended_reason = models.TextField(blank=True)
    carries_votes = models.BooleanField(default=False)
    can_nominate_directors = models.BooleanField(default=False)
    can_remove_directors = models.BooleanField(default=False)
    has_veto_or_class_consent = models.BooleanField(default=False)

    CONTROL_RIGHTS = (
        "confers_membership",
        "carries_votes",
        "can_nominate_directors",
        "can_remove_directors",
        "has_veto_or_class_consent",
    )

    class Meta:
        verbose_name_plural = "share classes"
        ordering = ["society", "name"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind="investor")
                | Q(
                    confers_membership=False,
                    carries_votes=False,
                    can_nominate_directors=False,
                    can_remove_directors=False,
                    has_veto_or_class_consent=False,
                ),
                name="investor_class_has_no_control",
                violation_error_message=INVESTOR_CONTROL_MESSAGE,
            ),
            models.CheckConstraint(
                condition=Q(carries_votes=False) | Q(confers_membership=True),
                name="votes_come_from_membership",
                violation_error_message=(
                    "Votes come from membership (one member, one vote): a class that carries "
                    "votes must confer membership."
                ),
            ),
            models.CheckConstraint(
                condition=Q(nominal_value__gt=0), name="share_class_nominal_value_positive"
            ),
            models.CheckConstraint(
                condition=Q(membership_minimum_shares__gte=1),
                name="share_class_membership_minimum_at_least_one",
            ),
            models.UniqueConstraint(fields=["society", "name"], name="share_class_name_unique"),
            models.CheckConstraint(
                condition=Q(withdrawal_yearly_limit__isnull=True) | Q(withdrawal_yearly_limit__gt=0),
                name="share_class_withdrawal_limit_positive",
            ),
            models.CheckConstraint(
                condition=Q(redemption_minimum_holding_years__isnull=True) | Q(kind="investor"),
                name="only_investor_shares_are_redeemed_on_request",
                violation_error_message="Only investor shares are redeemed on request; others are withdrawn.",
            ),
            models.CheckConstraint(
                condition=Q(redemption_price__isnull=True) | Q(redemption_price__gt=0),
                name="share_class_redemption_price_positive",
            ),
            models.CheckConstraint(
                condition=~Q(kind="community", withdrawable=True, transferable=True),
                name="withdrawable_community_shares_not_transferable",
                violation_error_message=WITHDRAWABLE_COMMUNITY_MESSAGE,
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.society})"

    def clean(self):
        if self.society_id and str(self.nominal_value.currency) != self.society.currency:
            raise ValidationError({"nominal_value": f"Use the society's currency, {self.society.currency}."})

    @property
    def is_investor_class(self) -> bool:
        return self.kind == self.Kind.INVESTOR

    def control_rights(self) -> list[str]:
        return [name for name in self.CONTROL_RIGHTS if getattr(self, name)]


class OfferQuerySet(models.QuerySet):
    def accepting(self, at: datetime.datetime):
        """Open offers taking applications at `at` (`Offer.is_accepting`)."""
        return self.filter(state=Offer.State.OPEN, opens_at__lte=at, closes_at__gt=at)

    def running(self, at: datetime.datetime):
        """Open offers not yet closed at `at`: taking applications, or about to (`Offer.is_running`)."""
        return self.filter(state=Offer.State.OPEN, closes_at__gt=at)


class Offer(Lifecycle, models.Model):
    """A share offer: a window in which people apply for shares of one class.

    Capacity is counted in whole shares. `shares_reserved` is the capacity that first-come
    applications hold (reserved, paid or allocated); the database refuses any write that takes
    it, or the shares allocated, past the maximum target.
    """

    class Policy(models.TextChoices):
        FIRST_COME = "first_come", "First come, first served"
        SCALE_BACK = "scale_back", "Scale back pro rata at close"

    class CardCharge(models.TextChoices):
        ON_APPLICATION = "on_application", "When the investor applies"
        ON_ALLOCATION = "on_allocation", "At allocation, for exactly what is allocated (scale back only)"

    class State(models.TextChoices):
        DRAFT = "draft", "Draft"
        OPEN = "open", "Open"
        CLOSED = "closed", "Closed"
        ALLOCATED = "allocated", "Allocated"
        FAILED = "failed", "Failed (minimum target missed)"

    lifecycle_error = CapitalError
    TRANSITIONS = {
        State.DRAFT: {State.OPEN},
        State.OPEN: {State.CLOSED},
        State.CLOSED: {State.ALLOCATED, State.FAILED},
        State.ALLOCATED: set(),
        State.FAILED: set(),
    }

    share_class = models.ForeignKey(ShareClass, on_delete=models.PROTECT, related_name="offers")
    title = models.CharField(max_length=200)
    opens_at = models.DateTimeField()
    closes_at = models.DateTimeField()
    price_per_share = MoneyField(**MONEY)
    minimum_target = MoneyField(**MONEY)
    maximum_target = MoneyField(**MONEY)
    minimum_per_investor = MoneyField(**MONEY)
    maximum_per_investor = MoneyField(**MONEY)
    policy = models.CharField(max_length=16, choices=Policy.choices, default=Policy.FIRST_COME)
    card_charge = models.CharField(
        max_length=16,
        choices=CardCharge.choices,
        default=CardCharge.ON_APPLICATION,
        help_text="When cards are charged. Charging at allocation saves refunding a scaled-back excess.",
    )
    reservation_period = models.DurationField(
        default=datetime.timedelta(days=7),
        help_text="How long an unpaid first-come application holds its shares.",
    )
    accepts_bank_transfer = models.BooleanField(
        default=True, help_text="Investors may pay by bank transfer, quoting their reference."
    )
    accepts_card = models.BooleanField(
        default=True, help_text="Investors may pay by card (where the site takes cards)."
    )
    risk_warning = models.TextField(
        blank=True,
        help_text="This offer's own risks, in plain words: shown with the standard warnings on its page "
        "and before an investor applies.",
    )
    state = models.CharField(max_length=16, choices=State.choices, default=State.DRAFT, editable=False)
    shares_reserved = models.PositiveIntegerField(default=0, editable=False)
    shares_allocated = models.PositiveIntegerField(default=0, editable=False)

    objects = OfferQuerySet.as_manager()

    class Meta:
        ordering = ["-opens_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(price_per_share__gt=0),
                name="offer_price_positive",
                violation_error_message="The price per share must be more than zero.",
            ),
            models.CheckConstraint(
                condition=Q(closes_at__gt=F("opens_at")),
                name="offer_closes_after_opening",
                violation_error_message="The offer must close after it opens.",
            ),
            models.CheckConstraint(
                condition=Q(minimum_target__lte=F("maximum_target")),
                name="offer_minimum_target_within_maximum",
                violation_error_message="The minimum target cannot be above the maximum target.",
            ),
            models.CheckConstraint(
                condition=Q(minimum_per_investor__lte=F("maximum_per_investor")),
                name="offer_investor_minimum_within_maximum",
                violation_error_message="The minimum per investor cannot be above the maximum per investor.",
            ),
            models.CheckConstraint(
                condition=Q(card_charge="on_application") | Q(policy="scale_back"),
                name="offer_charges_cards_at_allocation_only_when_scaling_back",
                violation_error_message="Only a scale-back offer can charge cards at allocation.",
            ),
            models.CheckConstraint(
                condition=Q(accepts_bank_transfer=True) | Q(accepts_card=True),
                name="offer_accepts_some_payment",
                violation_error_message="An offer must accept bank transfers, cards or both.",
            ),
            models.CheckConstraint(
                condition=Q(maximum_target__gte=F("shares_reserved") * F("price_per_share")),
                name="offer_never_reserved_past_maximum",
            ),
            models.CheckConstraint(
                condition=Q(maximum_target__gte=F("shares_allocated") * F("price_per_share")),
                name="offer_never_allocated_past_maximum",
            ),
        ]

    def __str__(self):
        return self.title

    @property
    def society(self) -> Society:
        return self.share_class.society

    @property
    def capacity_shares(self) -> int:
        return whole_shares(self.maximum_target, self.price_per_share)

    def shares_for(self, amount: Money) -> int:
        return whole_shares(amount, self.price_per_share)

    def clean(self):
        errors = {}
        if self.share_class_id:
            currency = self.share_class.society.currency
            for name in (
                "price_per_share",
                "minimum_target",
                "maximum_target",
                "minimum_per_investor",
                "maximum_per_investor",
            ):
                value = getattr(self, name)
                if value is not None and str(value.currency) != currency:
                    errors[name] = f"Use the society's currency, {currency}."
        if not errors and self.share_class_id and self.price_per_share is not None:
            nominal = self.share_class.nominal_value
            if self.share_class.withdrawable and self.price_per_share != nominal:
                errors["price_per_share"] = (
                    f"Withdrawable shares are issued and withdrawn at par: {format_money(nominal)}."
                )
            elif self.price_per_share < nominal:
                errors["price_per_share"] = f"Shares cannot be issued below par ({format_money(nominal)})."
        if not errors and self.price_per_share and self.price_per_share.amount > 0:
            for name in ("minimum_per_investor", "maximum_per_investor", "maximum_target"):
                value = getattr(self, name)
                if value is not None and value.amount % self.price_per_share.amount:
                    errors[name] = (
                        f"Must be a whole number of shares at {format_money(self.price_per_share)} each."
                    )
        if errors:
            raise ValidationError(errors)

    def about(self) -> str:
        return f"The offer “{self.title}”"

    def is_accepting(self, at: datetime.datetime) -> bool:
        """Taking applications at `at`: open, and between its opening and closing times."""
        return self.state == self.State.OPEN and self.opens_at <= at < self.closes_at

    def is_running(self, at: datetime.datetime) -> bool:
        """Open and not yet closed at `at` (the Python side of `Offer.objects.running`)."""
        return self.state == self.State.OPEN and at < self.closes_at

    def opens_later(self, at: datetime.datetime) -> bool:
        """Open, but not taking applications until its opening time."""
        return self.state == self.State.OPEN and at < self.opens_at


class AuditEntry(models.Model):
    """Who did what to a society's capital, and when: one row per service action."""

    # An audit entry points at no page, image or document: Wagtail's reference index need not
    # be updated each time one is written (every service action writes one).
    wagtail_reference_index_ignore = True

    society = models.ForeignKey(Society, on_delete=models.PROTECT, related_name="audit_entries")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=64)
    summary = models.TextField()
    data = models.JSONField(default=dict, blank=True)
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-recorded_at", "-pk"]
        verbose_name_plural = "audit entries"

    def __str__(self):
        return f"{self.recorded_at:%Y-%m-%d %H:%M} {self.action}: {self.summary}"


class ReturnSchedule(models.Model):
    """The terms on which a share class is paid: a share of profit, or interest, within caps.

    One set of terms covers demand dividends, revenue-style shares of profit and capped
    interest: a pool of the year's surplus above a hurdle (none for pure interest), grace
    years, a rate ceiling declared in advance, a cap on cumulative cash, and a term.
    The engine that turns these terms into payments is its own module (a later issue).
    """

    class Weighting(models.TextChoices):
        CAPITAL = "capital", "Capital"
        CAPITAL_DAYS = "capital_days", "Capital × days held in the year"

    class Excess(models.TextChoices):
        RETAINED = "retained", "Retained by the society"
        REDISTRIBUTE = "redistribute", "Shared again among holders with room"

    share_class = models.OneToOneField(ShareClass, on_delete=models.PROTECT, related_name="return_schedule")
    first_year_end = models.DateField(help_text="The last day of the schedule's first financial year.")
    pool_percent = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="Share of the year's surplus above the hurdle paid to the class; empty for interest.",
    )
    hurdle = MoneyField(**MONEY, default=Decimal("0.00"))
    grace_years = models.PositiveSmallIntegerField(default=0)
    weighting = models.CharField(max_length=16, choices=Weighting.choices, default=Weighting.CAPITAL)
    rate_ceiling_percent = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    cap_multiple = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    excess = models.CharField(max_length=16, choices=Excess.choices, default=Excess.RETAINED)
    term_years = models.PositiveSmallIntegerField(null=True, blank=True)
    redeem_at_term_end = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(pool_percent__isnull=True) | Q(pool_percent__gt=0, pool_percent__lte=100),
                name="schedule_pool_percent_in_range",
            ),
            models.CheckConstraint(
                condition=Q(pool_percent__isnull=False) | Q(rate_ceiling_percent__isnull=False),
                name="schedule_interest_needs_a_rate",
                violation_error_message="An interest schedule (no pool) needs a rate ceiling.",
            ),
            models.CheckConstraint(
                condition=Q(rate_ceiling_percent__isnull=True) | Q(rate_ceiling_percent__gt=0),
                name="schedule_rate_ceiling_positive",
            ),
            models.CheckConstraint(
                condition=Q(cap_multiple__isnull=True) | Q(cap_multiple__gte=1),
                name="schedule_cap_at_least_capital",
            ),
            models.CheckConstraint(condition=Q(hurdle__gte=0), name="schedule_hurdle_not_negative"),
            models.CheckConstraint(
                condition=Q(redeem_at_term_end=False) | Q(term_years__isnull=False),
                name="schedule_redemption_needs_a_term",
            ),
        ]

    def __str__(self):
        return f"Returns on {self.share_class}"

    def clean(self):
        ceiling = self.share_class.declared_maximum_interest_percent if self.share_class_id else None
        if ceiling is not None and self.rate_ceiling_percent and self.rate_ceiling_percent > ceiling:
            raise ValidationError(
                {"rate_ceiling_percent": f"The class's declared maximum rate is {ceiling}%."}
            )


# The surplus rules are a model of this app in their own module (see its docstring).
from capital.surplus_rules import SurplusRules  # noqa: E402, F401
