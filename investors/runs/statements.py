"""The figures on investors' statements of returns and yearly summaries.

Every figure is read from what the board approved (the run and its stored lines, the terms
kept with the run, the register) or worked out by the returns engine's own helpers
(`cap_amount`, `interest_for`); nothing here repeats the engine's arithmetic. The figures are
plain dataclasses built by plain functions, so that they can be checked without the PDF, and
`investors.documents.pdfs` only prints them.
"""

import datetime
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Q, QuerySet, Sum

from capital.models import ShareClass, Society
from capital.returns import Terms, cap_amount, interest_for
from investors.errors import DocumentError
from investors.models import DistributionLine, DistributionRun
from investors.runs.tax_year import tax_year, tax_year_of
from shares.models import Certificate, Holder, LedgerEntry
from shares.services.membership import balances_as_of
from shares.services.register_reads import holdings_as_of

State = DistributionRun.State
LineStatus = DistributionLine.Status
ZERO = Decimal("0.00")
# A line for a holding that a cap or redemption ended in an earlier year only carries it
# forward: it took no part in the year and has nothing to say to its holder.
TOOK_PART = Q(status=LineStatus.ACTIVE) | Q(closes_holding=True)


# --- Dates: the run's payment day and the tax year it falls in ----------------------------------------------


def payment_day(run: DistributionRun) -> datetime.date:
    """The day the run counts as paid for tax: the bank's day once marked paid, until then the
    day the board approved it."""
    if run.state == State.PAID:
        return run.paid_on
    if run.state == State.APPROVED:
        return run.approved_on
    raise DocumentError(f"Run {run.pk} is a draft: it has no payment day until the board approves it.")


def runs_in_tax_year(society: Society, starting: int) -> QuerySet[DistributionRun]:
    """The society's approved and paid runs whose payment day falls in the tax year."""
    first, last = tax_year(starting)
    return DistributionRun.objects.filter(share_class__society=society).filter(
        Q(state=State.PAID, paid_on__range=(first, last))
        | Q(state=State.APPROVED, approved_on__range=(first, last))
    )


def tax_year_interest(society: Society, holder: Holder, starting: int) -> Decimal:
    """All the share interest (returns paid in money or as shares; capital repaid is not
    interest) the holder is paid by the society in the tax year."""
    total = DistributionLine.objects.filter(
        run__in=runs_in_tax_year(society, starting), holder=holder
    ).aggregate(total=Sum("paid"))["total"]
    return total or ZERO


# --- One holder's statement for one run ------------------------------------------------------------


class Limit:
    NONE = ""
    CAP = "cap"
    CEILING = "ceiling"
    DECLARED_RATE = "declared rate"


@dataclass(frozen=True)
class StatementFigures:
    """One holder's year in one run, every figure as stored or as the engine's helpers give it."""

    capital: Decimal
    days_held: int
    days_in_year: int
    pays_this_year: bool  # False in a grace year or after the term
    surplus: Decimal | None  # profit share: the declared surplus
    pool: Decimal  # profit share: the pool; interest: all the interest the run pays
    pool_share_percent: Decimal | None  # what the holder's payment is of the pool
    rate_percent: Decimal | None  # interest: the rate paid this year
    rate_ceiling_percent: Decimal | None  # the maximum rate declared in advance
    ceiling_amount: Decimal | None  # profit share: the most the rate ceiling allows this holding
    limited_by: str  # a Limit
    paid: Decimal
    cash: Decimal
    reinvested_shares: int
    nominal_value: Decimal
    reinvested_value: Decimal
    redeemed: Decimal
    cumulative: Decimal
    status: str
    cap: Decimal | None
    left_to_cap: Decimal | None
    term_years: int | None
    years_left: int | None
    term_ends_on: datetime.date | None
    payment_day: datetime.date
    tax_year: int
    tax_year_interest: Decimal

    @property
    def bank_amount(self) -> Decimal:
        return self.cash + self.redeemed


def statement_holders(run: DistributionRun) -> QuerySet[Holder]:
    """The holders a run has a statement for: each holder with a line in it, except holdings
    that a cap or redemption ended in an earlier year (their line only carries that forward)."""
    return Holder.objects.filter(pk__in=run.lines.filter(TOOK_PART).values("holder_id")).order_by(
        "name", "pk"
    )


def require_decided(run: DistributionRun) -> None:
    """Statements are of what the board approved, never of a preview."""
    if run.state == State.DRAFT:
        raise DocumentError(
            f"Run {run.pk} (year {run.year} of {run.share_class.name}) is a draft: statements are "
            "made once the board has approved it."
        )


def statement_line(run: DistributionRun, holder: Holder) -> DistributionLine:
    """The holder's line in an approved or paid run, or the reason there is no statement."""
    require_decided(run)
    line = run.lines.filter(holder=holder).first()
    if line is None:
        raise DocumentError(
            f"{holder.name} has no line in run {run.pk} (year {run.year} of {run.share_class.name}): "
            "they held none of its shares at the year end."
        )
    if line.status != LineStatus.ACTIVE and not line.closes_holding:
        raise DocumentError(
            f"{holder.name}'s holding of {run.share_class.name} ended before year {run.year} "
            f"({line.get_status_display().lower()}); run {run.pk} has nothing for them."
        )
    return line


def statement_figures(run: DistributionRun, holder: Holder) -> StatementFigures:
    line = statement_line(run, holder)
    terms = Terms.from_record(run.terms)
    share_class = run.share_class
    days_in_year = (run.ends_on - run.starts_on).days + 1
    rate = run.declared_rate_percent if run.is_interest else None
    ceiling_amount = None
    if not terms.is_interest and terms.rate_ceiling_percent is not None:
        ceiling_amount = interest_for(line.capital, terms.rate_ceiling_percent, line.days_held, days_in_year)
    cap = cap_amount(line.capital, terms.cap_multiple) if terms.cap_multiple is not None else None
    day = payment_day(run)
    starting = tax_year_of(day)
    nominal = share_class.nominal_value.amount
    return StatementFigures(
        capital=line.capital,
        days_held=line.days_held,
        days_in_year=days_in_year,
        pays_this_year=terms.pays_in(run.year),
        surplus=None if run.surplus is None else run.surplus.amount,
        pool=run.pool.amount,
        pool_share_percent=_percent_of(line.paid, run.pool.amount),
        rate_percent=rate,
        rate_ceiling_percent=terms.rate_ceiling_percent,
        ceiling_amount=ceiling_amount,
        limited_by=_limit(line, terms, rate, ceiling_amount),
        paid=line.paid,
        cash=line.cash,
        reinvested_shares=line.reinvested_shares,
        nominal_value=nominal,
        reinvested_value=nominal * line.reinvested_shares,
        redeemed=line.redeemed,
        cumulative=line.cumulative,
        status=line.status,
        cap=cap,
        left_to_cap=None if cap is None else max(ZERO, cap - line.cumulative),
        term_years=terms.term_years,
        years_left=None if terms.term_years is None else max(0, terms.term_years - run.year),
        term_ends_on=None if terms.term_years is None else terms.year_end(terms.term_years),
        payment_day=day,
        tax_year=starting,
        tax_year_interest=tax_year_interest(share_class.society, holder, starting),
    )


def _percent_of(part: Decimal, whole: Decimal) -> Decimal | None:
    if not whole:
        return None
    return (part * 100 / whole).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _limit(line: DistributionLine, terms: Terms, rate: Decimal | None, ceiling_amount: Decimal | None) -> str:
    """What held the holder's payment back, if anything: the cap (the engine marked the line
    capped), the rate ceiling (paid the most it allows), or a rate declared below the maximum."""
    if line.status == LineStatus.CAPPED:
        return Limit.CAP
    if ceiling_amount is not None and line.paid and line.paid >= ceiling_amount:
        return Limit.CEILING
    if rate is not None and rate < terms.rate_ceiling_percent:
        return Limit.DECLARED_RATE
    return Limit.NONE


# --- One holder's yearly summary -------------------------------------------------------------------


@dataclass(frozen=True)
class SummaryHolding:
    share_class: ShareClass
    shares: int
    capital: Decimal
    ceased_on: datetime.date | None
    certificates: list[int]


@dataclass(frozen=True)
class SummaryPayment:
    run: DistributionRun
    payment_day: datetime.date
    cash: Decimal
    reinvested_shares: int
    reinvested_value: Decimal
    redeemed: Decimal
    interest: Decimal  # the line's `paid`: in money and as shares


@dataclass(frozen=True)
class AnnualSummary:
    society: Society
    holder: Holder
    tax_year: int
    first: datetime.date
    last: datetime.date
    holdings: list[SummaryHolding]
    payments: list[SummaryPayment]

    @property
    def total_cash(self) -> Decimal:
        return sum((payment.cash for payment in self.payments), ZERO)

    @property
    def total_reinvested(self) -> Decimal:
        return sum((payment.reinvested_value for payment in self.payments), ZERO)

    @property
    def total_redeemed(self) -> Decimal:
        return sum((payment.redeemed for payment in self.payments), ZERO)

    @property
    def total_interest(self) -> Decimal:
        return sum((payment.interest for payment in self.payments), ZERO)


def annual_summary(society: Society, holder: Holder, starting: int) -> AnnualSummary:
    """The holder's holdings in the society at the end of the tax year starting 6 April
    `starting` (and those that ended during it), and every run paid to them in it."""
    first, last = tax_year(starting)
    return AnnualSummary(
        society=society,
        holder=holder,
        tax_year=starting,
        first=first,
        last=last,
        holdings=_summary_holdings(society, holder, first, last),
        payments=_summary_payments(society, holder, starting),
    )


def _summary_holdings(society, holder, first, last) -> list[SummaryHolding]:
    held = [
        holding
        for holding in holdings_as_of(society, last, holder=holder)
        if holding.shares > 0 or (holding.ceased_on and holding.ceased_on >= first)
    ]
    valid_then = (
        Certificate.objects.filter(society=society, holder=holder, ledger_entry__effective_date__lte=last)
        .filter(Q(ended_by__isnull=True) | Q(ended_by__effective_date__gt=last))
        .order_by("number")
        .values_list("share_class_id", "number")
    )
    numbers: dict[int, list[int]] = {}
    for class_id, number in valid_then:
        numbers.setdefault(class_id, []).append(number)
    return [
        SummaryHolding(
            share_class=holding.share_class,
            shares=holding.shares,
            capital=holding.amount_paid.amount,
            ceased_on=holding.ceased_on if holding.shares == 0 else None,
            certificates=numbers.get(holding.share_class.pk, []) if holding.shares else [],
        )
        for holding in held
    ]


def _summary_payments(society, holder, starting) -> list[SummaryPayment]:
    lines = (
        DistributionLine.objects.filter(run__in=runs_in_tax_year(society, starting), holder=holder)
        .filter(TOOK_PART)
        .select_related("run__share_class")
        .order_by("run__share_class__name", "run__year")
    )
    payments = []
    for line in lines:
        nominal = line.run.share_class.nominal_value.amount
        payments.append(
            SummaryPayment(
                run=line.run,
                payment_day=payment_day(line.run),
                cash=line.cash,
                reinvested_shares=line.reinvested_shares,
                reinvested_value=nominal * line.reinvested_shares,
                redeemed=line.redeemed,
                interest=line.paid,
            )
        )
    return sorted(payments, key=lambda payment: (payment.payment_day, payment.run.share_class.name))


def summary_holders(society: Society, starting: int) -> QuerySet[Holder]:
    """Everyone with a yearly summary for the tax year: shares in the society at some time in
    it, or a payment from a run whose payment day falls in it."""
    first, last = tax_year(starting)
    classes = society.share_classes.all()
    ids = set()
    for day in (first - datetime.timedelta(days=1), last):
        ids |= {
            holder_id
            for (holder_id, _), shares in balances_as_of(society, day, classes).items()
            if shares > 0
        }
    moved = LedgerEntry.objects.filter(society=society, effective_date__range=(first, last))
    ids |= set(moved.values_list("holder_id", flat=True))
    ids |= set(moved.exclude(counterparty=None).values_list("counterparty_id", flat=True))
    paid = DistributionLine.objects.filter(run__in=runs_in_tax_year(society, starting)).filter(TOOK_PART)
    ids |= set(paid.values_list("holder_id", flat=True))
    return Holder.objects.filter(pk__in=ids).order_by("name", "pk")
