"""Distribution runs on the real register: start (preview), approve, mark paid.

A run asks the pure returns engine (`capital.returns.compute_year`) for one financial year of
one share class, feeding it the register as it stood at the year's end and what earlier
approved runs already paid. Approving is the board's decision and is when the register
changes: holdings that reached their cap are cancelled, holdings at the end of their term
are redeemed, and interest taken as shares is issued as new shares.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from djmoney.money import Money

from capital import permissions
from capital.bulk import insert_plain_rows
from capital.decisions import Kind, announce_decision
from capital.models import ReturnSchedule, ShareClass, Society
from capital.money import format_money, to_pennies
from capital.returns import (
    Holding,
    ReturnsError,
    Status,
    Terms,
    YearResult,
    compute_year,
    days_held,
    reinvest,
)
from capital.services import record_audit
from investors.documents.services import documents_after_approval
from investors.errors import RunError
from investors.models import DistributionLine, DistributionRun, InterestElection
from investors.runs.payouts import refuse_while_accounts_missing
from investors.runs.register_input import RegisterInput, ledger_head, read_register
from investors.runs.totals import declared_in_words
from shares.models import LedgerEntry
from shares.services.register import BulkRegisterError, EntryRequest, record_entries

State = DistributionRun.State
LineStatus = DistributionLine.Status
LINE_BATCH = 2000


# --- Starting a run (the preview) -----------------------------------------------------------------


def start_run(
    *,
    share_class: ShareClass,
    year: int,
    surplus: Decimal | Money | None = None,
    declared_rate_percent: Decimal | None = None,
    by=None,
) -> DistributionRun:
    """Work out financial year `year` of `share_class` on the register, as a draft to preview.

    A profit share needs the declared `surplus`; an interest schedule pays its rate ceiling
    unless the board declares a lower `declared_rate_percent`. Starting a year again replaces
    its draft (the register or the figures may have changed); a year with an approved run,
    or earlier than one, cannot be run again, and a year must be over before it is run.
    """
    permissions.require(by, "start_runs", share_class.society)
    today = timezone.localdate()
    with transaction.atomic():
        share_class = _locked_class(share_class.pk)
        terms = Terms.from_schedule(_schedule_of(share_class))
        surplus, rate = _declared(terms, share_class, surplus, declared_rate_percent)
        starts_on, ends_on = _year_dates(terms, year)
        if ends_on >= today:
            raise RunError(
                f"Year {year} of {share_class.name} ends on {ends_on:%-d %B %Y}; "
                f"its run can be started from the day after."
            )
        _refuse_if_decided(share_class, year)
        _refuse_out_of_order(share_class, year)
        replaced = DistributionRun.objects.filter(share_class=share_class, year=year, state=State.DRAFT)
        replaced_ids = list(replaced.values_list("pk", flat=True))
        replaced.delete()

        head = ledger_head(share_class.society)
        register = read_register(share_class=share_class, year=year, ends_on=ends_on)
        try:
            result = compute_year(
                terms=terms,
                year=year,
                holdings=register.holdings,
                states=register.states,
                surplus=surplus,
                declared_rate_percent=rate,
            )
        except ReturnsError as error:
            raise RunError(str(error)) from error
        run = _save_run(share_class, terms, result, surplus, rate, head, by)
        _save_lines(run, share_class, terms, result, register)
        record_audit(
            society=share_class.society,
            actor=by,
            action="run.started",
            summary=(
                f"{share_class.name}, year {year}: pool {_money(run, result.pool)}, "
                f"paid {_money(run, result.paid)}, retained {_money(run, result.retained)}, "
                f"redeemed {_money(run, result.redeemed)}"
                + (f" (replacing draft {', '.join(map(str, replaced_ids))})" if replaced_ids else "")
            ),
            run=run.pk,
            year=year,
            surplus=None if surplus is None else str(surplus),
            declared_rate_percent=None if rate is None else str(rate),
        )
    return run


def _locked_class(pk: int) -> ShareClass:
    """Runs of one class are started and approved one at a time. A no-key lock, on the class
    row alone, so that shares of the class can still be issued while a preview is computed."""
    return (
        ShareClass.objects.select_for_update(no_key=True, of=("self",)).select_related("society").get(pk=pk)
    )


def _schedule_of(share_class: ShareClass) -> ReturnSchedule:
    try:
        return share_class.return_schedule
    except ReturnSchedule.DoesNotExist:
        raise RunError(
            f"{share_class.name} has no return schedule: add its terms before running returns."
        ) from None


def _declared(terms: Terms, share_class: ShareClass, surplus, rate) -> tuple[Decimal | None, Decimal | None]:
    """The surplus (profit share) or the rate (interest) for the year, checked against the terms."""
    if isinstance(surplus, Money):
        if str(surplus.currency) != share_class.society.currency:
            raise RunError(f"Declare the surplus in {share_class.society.currency}.")
        surplus = surplus.amount
    if terms.is_interest:
        if surplus is not None:
            raise RunError(
                f"{share_class.name} pays interest, not a share of surplus: declare a rate "
                f"(at most {terms.rate_ceiling_percent}%) instead of a surplus."
            )
        rate = terms.rate_ceiling_percent if rate is None else Decimal(rate)
        if rate != rate.quantize(Decimal("0.01")):
            raise RunError(f"Declare the rate to at most two decimal places, not {rate}%.")
        if not 0 <= rate <= terms.rate_ceiling_percent:
            raise RunError(
                f"The rate for {share_class.name} must be between 0% and the maximum declared in "
                f"advance, {terms.rate_ceiling_percent}%; {rate}% is not."
            )
        return None, rate
    if rate is not None:
        raise RunError(
            f"{share_class.name} is paid a share of surplus, not a declared rate: declare the surplus."
        )
    if surplus is None:
        raise RunError(f"Declare the year's surplus for {share_class.name} (a loss is a negative amount).")
    surplus = Decimal(surplus)
    if surplus != surplus.quantize(Decimal("0.01")):
        raise RunError(f"Declare the surplus in whole pennies, not {surplus}.")
    return surplus, None


def _year_dates(terms: Terms, year: int) -> tuple[datetime.date, datetime.date]:
    if year < 1:
        raise RunError(f"Financial years count from 1; there is no year {year}.")
    try:
        return terms.year_start(year), terms.year_end(year)
    except ValueError:  # past the calendar's last year
        raise RunError(f"Year {year} of the schedule is too far ahead to run.") from None


def _refuse_if_decided(share_class: ShareClass, year: int, *, besides: DistributionRun | None = None) -> None:
    """A year is paid once, and years are run in order: none at or after an approved one."""
    decided = DistributionRun.objects.filter(share_class=share_class, state__in=DistributionRun.DECIDED)
    if besides is not None:
        decided = decided.exclude(pk=besides.pk)
    latest = decided.filter(year__gte=year).order_by("-year").first()
    if latest is None:
        return
    if latest.year == year:
        raise RunError(
            f"Year {year} of {share_class.name} already has an approved run "
            f"({latest.get_state_display().lower()}); a year is paid once."
        )
    raise RunError(
        f"Year {latest.year} of {share_class.name} is already approved; year {year} comes before "
        f"it and can no longer be run (each year carries what the years before it paid)."
    )


def _refuse_out_of_order(share_class: ShareClass, year: int) -> None:
    """Each year carries what the years before it paid, so the year before must be approved."""
    if year == 1:
        return
    before = DistributionRun.objects.filter(
        share_class=share_class, year=year - 1, state__in=DistributionRun.DECIDED
    )
    if not before.exists():
        raise RunError(
            f"Year {year - 1} of {share_class.name} has no approved run yet. Run the years in order, "
            "so that each carries what the years before it paid (declare 0 for a year that pays nothing)."
        )


def _save_run(share_class, terms, result: YearResult, surplus, rate, head, by) -> DistributionRun:
    currency = share_class.society.currency
    return DistributionRun.objects.create(
        share_class=share_class,
        year=result.year,
        starts_on=result.starts_on,
        ends_on=result.ends_on,
        surplus=None if surplus is None else Money(surplus, currency),
        declared_rate_percent=rate,
        terms=terms.to_record(),
        ledger_sequence=head,
        pool=Money(result.pool, currency),
        paid=Money(result.paid, currency),
        retained=Money(result.retained, currency),
        redeemed=Money(result.redeemed, currency),
        created_by=by,
    )


def _save_lines(run, share_class, terms: Terms, result: YearResult, register: RegisterInput) -> None:
    """One row per engine line. For interest, holders who elected shares are split into whole
    shares at nominal value and the rest in money, unless the year ended their holding."""
    by_ref = {holding.ref: holding for holding in register.holdings}
    reinvesting = set()
    if terms.is_interest:
        reinvesting = set(
            InterestElection.objects.filter(
                share_class=share_class, take_as=InterestElection.TakeAs.SHARES
            ).values_list("holder_id", flat=True)
        )
    nominal = share_class.nominal_value.amount
    starts_on, ends_on = result.starts_on, result.ends_on
    states, holders = register.states, register.holders

    def rows():
        for line in result.lines:
            holding = by_ref[line.ref]
            before = states.get(line.ref)
            took_part = before is None or before.status == Status.ACTIVE
            holder_id = holders[line.ref]
            status = line.status
            cash, shares = line.paid, 0
            if line.paid and status == Status.ACTIVE and holder_id in reinvesting:
                split = reinvest(line.paid, nominal)
                cash, shares = split.cash, split.shares
            yield (
                run.pk,
                int(line.ref),
                holder_id,
                holding.capital,
                _average_days(holding, starts_on, ends_on) if took_part else 0,
                line.paid,
                line.redeemed,
                line.cumulative,
                status.value,
                took_part and status != Status.ACTIVE,
                cash,
                shares,
            )

    insert_plain_rows(DistributionLine, LINE_COLUMNS, rows(), batch_size=LINE_BATCH)


LINE_COLUMNS = (
    "run_id",
    "holding_id",
    "holder_id",
    "capital",
    "days_held",
    "paid",
    "redeemed",
    "cumulative",
    "status",
    "closes_holding",
    "cash",
    "reinvested_shares",
)


def _average_days(holding: Holding, starts_on: datetime.date, ends_on: datetime.date) -> int:
    """Days held in the year, averaged over the holding's parts by capital (whole days)."""
    if not holding.tranches:  # one part: its days are the holding's
        return days_held(holding.issued_on, starts_on, ends_on)
    pennies = to_pennies(holding.capital)
    return holding.capital_days(starts_on, ends_on) // pennies if pennies else 0


# --- Approving -------------------------------------------------------------------------------------


@dataclass
class RegisterChanges:
    cancelled: int = 0
    redeemed: int = 0
    shares_issued: int = 0

    def summary(self) -> str:
        return (
            f"{self.cancelled} holdings cancelled at their cap, {self.redeemed} redeemed, "
            f"{self.shares_issued} shares issued for interest"
        )


def approve_run(*, run: DistributionRun, by, on_date: datetime.date | None = None) -> DistributionRun:
    """The board's decision: approve a previewed run and make its changes to the register.

    In the same transaction as the approval, every holding the year capped is cancelled in
    full, every holding redeemed at its term's end is redeemed, and interest taken as shares
    is issued (all dated `on_date`, today by default). Refused if the preview no longer
    matches: another run was approved meanwhile, the schedule changed, or the register moved
    in a way that changes the year-end capital.
    """
    permissions.require(by, "approve_runs", run.share_class.society)
    on_date = on_date or timezone.localdate()
    with transaction.atomic():
        share_class = _locked_class(run.share_class_id)
        run = _locked_run(run)
        run.transition_to(State.APPROVED)
        # The register stays still from here to the end of the transaction.
        Society.objects.select_for_update().get(pk=share_class.society_id)
        _check_preview_still_holds(run, share_class, on_date)
        changes = _write_register(run, share_class, on_date)
        run.approved_by, run.approved_at, run.approved_on = by, timezone.now(), on_date
        try:
            with transaction.atomic():
                run.save(update_fields=["state", "approved_by", "approved_at", "approved_on"])
        except IntegrityError as error:  # the database's own one-approved-run-per-year rule
            raise RunError(
                f"Year {run.year} of {share_class.name} already has an approved run; a year is paid once."
            ) from error
        record_audit(
            society=share_class.society,
            actor=by,
            action="run.approved",
            summary=(
                f"{share_class.name}, year {run.year} approved: paid {format_money(run.paid)}, "
                f"retained {format_money(run.retained)}, redeemed {format_money(run.redeemed)}; "
                f"{changes.summary()}"
            ),
            run=run.pk,
            year=run.year,
            cancelled=changes.cancelled,
            redeemed=changes.redeemed,
            shares_issued=changes.shares_issued,
        )
        announce_decision(
            society=share_class.society,
            kind=Kind.RUN_APPROVED,
            summary=(
                f"Returns on {share_class.name} for financial year {run.year} (to {run.ends_on:%-d %B %Y}), "
                f"on {declared_in_words(run)}: {format_money(run.paid)} paid, "
                f"{format_money(run.retained)} retained, "
                f"{format_money(run.redeemed)} of capital repaid; {changes.summary()}."
            ),
            actor=by,
            decided_on=on_date,
            run=run.pk,
            share_class=share_class.pk,
            year=run.year,
            paid=str(run.paid.amount),
            retained=str(run.retained.amount),
            redeemed=str(run.redeemed.amount),
        )
        documents_after_approval(run)  # statements emailed once this commits
    return run


def _locked_run(run: DistributionRun) -> DistributionRun:
    try:
        return (
            DistributionRun.objects.select_for_update(of=("self",))
            .select_related("share_class__society")
            .get(pk=run.pk)
        )
    except DistributionRun.DoesNotExist:
        raise RunError(
            f"This draft of year {run.year} was replaced when the year was started again; "
            "approve the newer draft."
        ) from None


def _check_preview_still_holds(run: DistributionRun, share_class: ShareClass, on_date) -> None:
    _refuse_if_decided(share_class, run.year, besides=run)
    if not run.ends_on < on_date <= timezone.localdate():
        raise RunError(
            f"Date the approval after the year's end ({run.ends_on}) and not later than today, not {on_date}."
        )
    stale = "; start the year again to preview the new figures."
    if Terms.from_schedule(_schedule_of(share_class)).to_record() != run.terms:
        raise RunError(f"The return schedule of {share_class.name} changed after this preview" + stale)
    moved = (
        LedgerEntry.objects.filter(society=share_class.society_id, sequence__gt=run.ledger_sequence)
        .filter(share_class=share_class, effective_date__lte=run.ends_on)
        .order_by("sequence")
        .first()
    )
    if moved is not None:
        raise RunError(
            f"Register entry #{moved.sequence} changed {moved.holder}'s capital in year {run.year} "
            "after this preview was made" + stale
        )


def _write_register(run: DistributionRun, share_class: ShareClass, on_date) -> RegisterChanges:
    """Cancel, redeem and issue through the register's own service, one entry per change, all
    written at once (`record_entries`: the register lock taken once, the entries chained in
    memory and written in bulk)."""
    changes = RegisterChanges()
    society = share_class.society
    lines = (
        DistributionLine.objects.filter(run=run)
        .filter(Q(closes_holding=True) | Q(reinvested_shares__gt=0))
        .select_related("holding", "holder")
        .order_by("holding_id")
    )
    label = f"{share_class.name} year {run.year} (run {run.pk})"
    requests = []
    for line in lines.iterator(chunk_size=LINE_BATCH):
        if line.closes_holding and line.holding.shares:
            if line.status == LineStatus.CAPPED:
                kind, why = LedgerEntry.Kind.CANCELLATION, "reached its cap"
                changes.cancelled += 1
            else:
                kind, why = LedgerEntry.Kind.REDEMPTION, "redeemed at the end of its term"
                changes.redeemed += 1
            requests.append(
                EntryRequest(
                    kind=kind,
                    holder=line.holder,
                    share_class=share_class,
                    shares=line.holding.shares,
                    effective_date=on_date,
                    reference=f"{label}: {why}",
                    about=line,
                )
            )
        if line.reinvested_shares:
            requests.append(
                EntryRequest(
                    kind=LedgerEntry.Kind.ISSUE,
                    holder=line.holder,
                    share_class=share_class,
                    shares=line.reinvested_shares,
                    amount=share_class.nominal_value * line.reinvested_shares,
                    effective_date=on_date,
                    reference=f"{label}: interest taken as shares",
                    about=line,
                )
            )
            changes.shares_issued += line.reinvested_shares
    try:
        record_entries(society=society, requests=requests)
    except BulkRegisterError as error:
        raise RunError(
            f"The register refused the run's change for {error.request.holder}: {error} Nothing was "
            "approved; change their election to money, or fix the register, and start the year again."
        ) from error
    return changes


# --- Paying ---------------------------------------------------------------------------------------


def mark_run_paid(*, run: DistributionRun, by, paid_on: datetime.date | None = None) -> DistributionRun:
    """Record that the bank has paid an approved run. `paid_on` (today by default) is the day
    the money left: it decides the tax year the interest is reported to HMRC in."""
    permissions.require(by, "pay_runs", run.share_class.society)
    paid_on = paid_on or timezone.localdate()
    with transaction.atomic():
        run = _locked_run(run)
        run.transition_to(State.PAID)
        refuse_while_accounts_missing(run, "recording the run as paid")
        if paid_on <= run.ends_on:
            raise RunError(f"A year's returns are paid after it ends ({run.ends_on}), not on {paid_on}.")
        run.paid_by, run.paid_at, run.paid_on = by, timezone.now(), paid_on
        run.save(update_fields=["state", "paid_by", "paid_at", "paid_on"])
        record_audit(
            society=run.society,
            actor=by,
            action="run.paid",
            summary=f"{run.share_class.name}, year {run.year}: paid {format_money(run.paid)} on {paid_on}",
            run=run.pk,
        )
    return run


def _money(run: DistributionRun, amount: Decimal) -> str:
    return format_money(Money(amount, run.share_class.society.currency))
