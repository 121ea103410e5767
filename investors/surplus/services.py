"""Surplus runs: a society's whole surplus for one financial year, split by its surplus rules
between reserves, Labour, User and Investor (`capital.surplus`), previewed, approved by a
director and paid.

The Labour and User parts are split here among the members of their classes at the year end,
by the year's recorded contributions (or labour shares held). The Investor part is the returns
engine's own pool for each investor class, unchanged: the surplus run starts each class's
distribution run for the same year on the same surplus, and approves it with itself. Whatever
a part does not pay (no one to receive it, a hurdle, a cap) stays in reserves.
"""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone
from djmoney.money import Money

from capital import permissions
from capital.decisions import Kind, announce_decision
from capital.errors import Refusal
from capital.models import ShareClass, Society, SurplusRules
from capital.money import format_money, to_pennies
from capital.returns import ReturnsError, Terms, reinvest
from capital.services import record_audit
from capital.surplus import Member, Part, SurplusError, split_surplus
from investors.documents.services import documents_after_surplus_approval
from investors.errors import SurplusRunError
from investors.models import DistributionRun, SurplusLine, SurplusRun
from investors.models.surplus import Part as LinePart
from investors.runs.register_input import ledger_head
from investors.runs.services import approve_run, mark_run_paid, start_run
from investors.surplus.contributions import current_contributions
from investors.surplus.payouts import refuse_while_accounts_missing
from shares.errors import RegisterError
from shares.models import Holder, Holding, LedgerEntry
from shares.services.membership import balances_as_of
from shares.services.register import issue_shares

State = SurplusRun.State
PayAs = SurplusRules.PayAs
MEMBER_PARTS = (Part.LABOUR, Part.USER)


# --- Starting (the preview) ------------------------------------------------------------------------


@dataclass
class PartInput:
    """One member part as the split sees it: its members in register order, and what was left out."""

    share_class: ShareClass | None
    members: list[Member] = field(default_factory=list)
    holders: dict[str, int] = field(default_factory=dict)
    import_batch: object = None
    notes: list[str] = field(default_factory=list)


def start_surplus_run(
    *, society: Society, year_end: datetime.date, surplus: Decimal | Money, by=None
) -> SurplusRun:
    """Split the financial year ending `year_end` by the society's surplus rules, as a draft.

    Starting a year again replaces its draft (the figures, the contributions or the register may
    have changed); a year with an approved surplus run cannot be run again, and a year must be
    over before it is run.
    """
    permissions.require(by, "start_runs", society)
    surplus = _declared(society, surplus)
    starts_on, ends_on = financial_year(society, year_end)
    if ends_on >= timezone.localdate():
        raise SurplusRunError(
            f"The year ending {ends_on:%-d %B %Y} is not over; its surplus can be split from the day after."
        )
    with transaction.atomic():
        rules = _locked_rules(society)
        if SurplusRun.objects.filter(society=society, ends_on=ends_on, state__in=SurplusRun.DECIDED).exists():
            raise SurplusRunError(
                f"The surplus of the year ending {ends_on:%-d %B %Y} has already been split and approved; "
                "a year's surplus is split once."
            )
        replaced = list(
            SurplusRun.objects.filter(society=society, ends_on=ends_on, state=State.DRAFT).values_list(
                "pk", flat=True
            )
        )
        SurplusRun.objects.filter(pk__in=replaced).delete()
        head = ledger_head(society)
        parts = {part: _part_input(rules, part, ends_on) for part in MEMBER_PARTS}
        investor_runs, investor_notes = _investor_runs(society, rules, ends_on, surplus, by)
        try:
            split = split_surplus(
                surplus=surplus,
                fractions={Part.LABOUR: rules.labour_percent, Part.USER: rules.user_percent},
                members={part: parts[part].members for part in MEMBER_PARTS},
            )
        except SurplusError as error:
            raise SurplusRunError(str(error)) from error
        investor = sum((run.paid.amount for run in investor_runs), Decimal("0.00"))
        labour, user = split.parts[Part.LABOUR].amount, split.parts[Part.USER].amount
        money = society.money
        run = SurplusRun.objects.create(
            society=society,
            starts_on=starts_on,
            ends_on=ends_on,
            surplus=money(surplus),
            rules=rules.as_record(),
            ledger_sequence=head,
            labour_import=parts[Part.LABOUR].import_batch,
            user_import=parts[Part.USER].import_batch,
            investor_run_ids=[run.pk for run in investor_runs],
            reserves=money(surplus - labour - user - investor),
            labour=money(labour),
            user=money(user),
            investor=money(investor),
            notes=[note for part in MEMBER_PARTS for note in parts[part].notes] + investor_notes,
            created_by=by,
        )
        run.investor_runs.set(investor_runs)
        _save_lines(run, rules, parts, split)
        record_audit(
            society=society,
            actor=by,
            action="surplus_run.started",
            summary=(
                f"Year ending {ends_on:%-d %B %Y}: surplus {format_money(run.surplus)}, reserves "
                f"{format_money(run.reserves)}, Labour {format_money(run.labour)}, "
                f"User {format_money(run.user)}, Investor {format_money(run.investor)}"
                + (f" (replacing draft {', '.join(map(str, replaced))})" if replaced else "")
            ),
            surplus_run=run.pk,
        )
    return run


def financial_year(society: Society, year_end: datetime.date) -> tuple[datetime.date, datetime.date]:
    """The society's financial year ending on `year_end`: (first day, last day)."""
    if (year_end.month, year_end.day) != (society.financial_year_end_month, society.financial_year_end_day):
        expected = society.financial_year_end_in(year_end.year)
        raise SurplusRunError(
            f"{society}'s financial year ends on {expected:%-d %B}; the year ending "
            f"{year_end:%-d %B %Y} is not one of its years (did you mean {expected:%-d %B %Y}?)."
        )
    previous = society.financial_year_end_in(year_end.year - 1)
    return previous + datetime.timedelta(days=1), year_end


def _declared(society: Society, surplus) -> Decimal:
    if isinstance(surplus, Money):
        if str(surplus.currency) != society.currency:
            raise SurplusRunError(f"Declare the surplus in {society.currency}.")
        surplus = surplus.amount
    if surplus is None:
        raise SurplusRunError("Declare the year's surplus (a loss is a negative amount).")
    surplus = Decimal(surplus)
    try:
        to_pennies(surplus)
    except ValueError:
        raise SurplusRunError(f"Declare the surplus in whole pennies, not {surplus}.") from None
    return surplus


def _locked_rules(society: Society) -> SurplusRules:
    """The society's rules, locked: its surplus runs are started and approved one at a time."""
    rules = (
        SurplusRules.objects.select_for_update(of=("self",))
        .select_related("labour_class", "user_class", "member_shares_class", "society")
        .filter(society=society)
        .first()
    )
    if rules is None:
        raise SurplusRunError(f"{society} has no surplus rules yet: its directors set them first.")
    return rules


def _part_input(rules: SurplusRules, part: Part, ends_on: datetime.date) -> PartInput:
    """The part's members at the year end, in register order, each weighed by their recorded
    contribution (or, for Labour by shares, the labour shares they hold)."""
    percent = getattr(rules, f"{part}_percent")
    share_class = getattr(rules, f"{part}_class")
    result = PartInput(share_class=share_class)
    if not percent or share_class is None:
        return result
    balances = balances_as_of(rules.society, ends_on, [share_class])
    held = {holder_id: shares for (holder_id, _), shares in balances.items() if shares > 0}
    # A member who died during the year was no longer one at its end.
    for holder_id in Holder.objects.filter(pk__in=held, died_on__lte=ends_on).values_list("pk", flat=True):
        del held[holder_id]
    by_shares = part == Part.LABOUR and rules.labour_basis == SurplusRules.LabourBasis.SHARES
    weights = {}
    if by_shares:
        weights = {holder_id: Decimal(shares) for holder_id, shares in held.items()}
    else:
        result.import_batch = current_contributions(rules.society, part, ends_on)
        if result.import_batch is None:
            raise SurplusRunError(
                f"No {part} contributions are recorded for the year ending {ends_on:%-d %B %Y}: import them "
                "first (a file with only its header row records that there were none)."
            )
        recorded = {
            each.holder_id: each for each in result.import_batch.contributions.select_related("holder")
        }
        left_out = [each.holder.name for holder_id, each in recorded.items() if holder_id not in held]
        if left_out:
            result.notes.append(
                f"{len(left_out)} {part} contributor{'s' if len(left_out) != 1 else ''} "
                f"{'was' if len(left_out) == 1 else 'were'} not a member of {share_class.name} on "
                f"{ends_on:%-d %B %Y} and take{'s' if len(left_out) == 1 else ''} no part: "
                f"{', '.join(sorted(left_out))}."
            )
        weights = {holder_id: each.amount for holder_id, each in recorded.items() if holder_id in held}
    order = Holding.objects.filter(share_class=share_class, holder_id__in=weights).order_by("pk")
    for holder_id in order.values_list("holder_id", flat=True):
        if weights[holder_id] > 0:
            ref = str(holder_id)
            result.members.append(Member(ref=ref, weight=weights[holder_id]))
            result.holders[ref] = holder_id
    return result


def _investor_runs(society, rules, ends_on, surplus, by) -> tuple[list[DistributionRun], list[str]]:
    """Each investor class's distribution run for the year, on the same surplus: an approved one
    adopted as it is, otherwise a draft started now, to be approved with the surplus run."""
    classes = (
        ShareClass.objects.filter(society=society, kind=ShareClass.Kind.INVESTOR)
        .filter(return_schedule__pool_percent__isnull=False)
        .select_related("return_schedule")
        .order_by("pk")
    )
    runs, notes, pool_percent = [], [], Decimal("0")
    for share_class in classes:
        terms = Terms.from_schedule(share_class.return_schedule)
        year = _schedule_year(share_class, terms, ends_on)
        if year is None:
            notes.append(
                f"{share_class.name}: its return schedule's first year ends on "
                f"{terms.first_year_end:%-d %B %Y}, so it takes no part in this year."
            )
            continue
        if terms.pays_in(year):
            pool_percent += terms.pool_percent
        approved = DistributionRun.objects.filter(
            share_class=share_class, year=year, state__in=DistributionRun.DECIDED
        ).first()
        if approved is not None:
            if approved.surplus.amount != surplus:
                raise SurplusRunError(
                    f"Year {year} of {share_class.name} was already approved on a surplus of "
                    f"{format_money(approved.surplus)}; the surplus run must declare the same surplus."
                )
            runs.append(approved)
            continue
        try:
            runs.append(start_run(share_class=share_class, year=year, surplus=surplus, by=by))
        except Refusal as error:
            raise SurplusRunError(f"The investor part: {error}") from error
    if pool_percent > rules.investor_percent:
        raise SurplusRunError(
            f"The investor classes' return schedules take {pool_percent.normalize():f}% of the surplus this "
            f"year, more than the {rules.investor_percent.normalize():f}% the surplus rules give investors: "
            "change the rules or the schedules so that they agree."
        )
    return runs, notes


def _schedule_year(share_class: ShareClass, terms: Terms, ends_on: datetime.date) -> int | None:
    """The schedule's year number that ends on `ends_on`; None before its first year."""
    if ends_on < terms.first_year_end:
        return None
    year = ends_on.year - terms.first_year_end.year + 1
    try:
        if terms.year_end(year) == ends_on:
            return year
    except ReturnsError:
        pass
    raise SurplusRunError(
        f"{share_class.name}'s return schedule runs to {terms.first_year_end:%-d %B} each year, not to "
        f"the society's year end ({ends_on:%-d %B}): align its years with the society's before "
        "splitting the surplus."
    )


def _save_lines(run: SurplusRun, rules: SurplusRules, parts: dict, split) -> None:
    nominal = rules.member_shares_class.nominal_value.amount if rules.member_shares_class else None
    batch = []
    for part in MEMBER_PARTS:
        as_shares = getattr(rules, f"{part}_pay_as") == PayAs.SHARES
        for line in split.parts[part].lines:
            cash, shares = line.paid, 0
            if as_shares and line.paid:
                reinvested = reinvest(line.paid, nominal)
                cash, shares = reinvested.cash, reinvested.shares
            batch.append(
                SurplusLine(
                    run=run,
                    part=LinePart(part.value),
                    holder_id=parts[part].holders[line.ref],
                    share_class=parts[part].share_class,
                    weight=line.weight,
                    paid=line.paid,
                    cash=cash,
                    member_shares=shares,
                )
            )
    SurplusLine.objects.bulk_create(batch)


# --- Approving -------------------------------------------------------------------------------------


def approve_surplus_run(*, run: SurplusRun, by, on_date: datetime.date | None = None) -> SurplusRun:
    """The board's decision: approve the split and make every change to the register with it.

    In one transaction: the investor classes' distribution runs are approved (their caps,
    redemptions and reinvested interest written), member shares are issued to labour and user
    members paid that way (dated `on_date`, today by default), the split is announced for the
    decision record and each recipient's statement is queued. Refused, changing nothing, if the
    preview no longer holds: the rules, the contributions or the register changed since, or an
    investor run was started again.
    """
    permissions.require(by, "approve_runs", run.society)
    on_date = on_date or timezone.localdate()
    with transaction.atomic():
        rules = _locked_rules(run.society)
        run = _locked_run(run)
        run.transition_to(State.APPROVED)
        _check_preview_still_holds(run, rules, on_date)
        try:
            for investor_run in run.investor_runs.filter(state=DistributionRun.State.DRAFT).order_by("pk"):
                approve_run(run=investor_run, by=by, on_date=on_date)
        except Refusal as error:
            raise SurplusRunError(f"The investor part: {error}") from error
        issued = _issue_member_shares(run, rules, on_date)
        run.approved_by, run.approved_at, run.approved_on = by, timezone.now(), on_date
        try:
            with transaction.atomic():
                run.save(update_fields=["state", "approved_by", "approved_at", "approved_on"])
        except IntegrityError as error:  # the database's own one-approved-run-per-year rule
            raise SurplusRunError(
                f"The surplus of the year ending {run.ends_on:%-d %B %Y} is already approved; "
                "it is split once."
            ) from error
        counts = _recipients(run)
        record_audit(
            society=run.society,
            actor=by,
            action="surplus_run.approved",
            summary=f"Year ending {run.ends_on:%-d %B %Y} approved: {_figures(run, counts, issued)}",
            surplus_run=run.pk,
            member_shares_issued=issued,
        )
        announce_decision(
            society=run.society,
            kind=Kind.SURPLUS_RUN_APPROVED,
            summary=(
                f"The surplus of {format_money(run.surplus)} for the year ending {run.ends_on:%-d %B %Y} "
                f"was split: {_figures(run, counts, issued)}."
            ),
            actor=by,
            decided_on=on_date,
            surplus_run=run.pk,
            year_end=run.ends_on.isoformat(),
            surplus=str(run.surplus.amount),
            reserves=str(run.reserves.amount),
            labour=str(run.labour.amount),
            user=str(run.user.amount),
            investor=str(run.investor.amount),
        )
        documents_after_surplus_approval(run)  # statements emailed once this commits
    return run


def _locked_run(run: SurplusRun) -> SurplusRun:
    try:
        return SurplusRun.objects.select_for_update(of=("self",)).select_related("society").get(pk=run.pk)
    except SurplusRun.DoesNotExist:
        raise SurplusRunError(
            f"This draft of the year ending {run.ends_on:%-d %B %Y} was replaced when the year was started "
            "again; approve the newer draft."
        ) from None


def _check_preview_still_holds(run: SurplusRun, rules: SurplusRules, on_date: datetime.date) -> None:
    if not run.ends_on < on_date <= timezone.localdate():
        raise SurplusRunError(
            f"Date the approval after the year's end ({run.ends_on}) and not later than today, not {on_date}."
        )
    stale = "; start the year again to preview the new figures."
    if rules.as_record() != run.rules:
        raise SurplusRunError("The society's surplus rules changed after this preview" + stale)
    for part in MEMBER_PARTS:
        used = getattr(run, f"{part}_import_id")
        current = current_contributions(run.society, part, run.ends_on)
        if used is not None and (current is None or current.pk != used):
            raise SurplusRunError(f"The {part} contributions were imported again after this preview" + stale)
    if sorted(run.investor_runs.values_list("pk", flat=True)) != sorted(run.investor_run_ids):
        raise SurplusRunError(
            "An investor class's distribution run was started again after this preview" + stale
        )
    member_classes = [cls for cls in (rules.labour_class_id, rules.user_class_id) if cls]
    moved = (
        LedgerEntry.objects.filter(society=run.society, sequence__gt=run.ledger_sequence)
        .filter(share_class__in=member_classes, effective_date__lte=run.ends_on)
        .order_by("sequence")
        .first()
    )
    if moved is not None:
        raise SurplusRunError(
            f"Register entry #{moved.sequence} changed who held {moved.share_class.name} in the year after "
            "this preview was made" + stale
        )


def _issue_member_shares(run: SurplusRun, rules: SurplusRules, on_date) -> int:
    """Member shares for every line paid that way, through the register, one entry per line."""
    issued = 0
    share_class = rules.member_shares_class
    lines = run.lines.filter(member_shares__gt=0).select_related("holder").order_by("pk")
    for line in lines:
        try:
            line.ledger_entry = issue_shares(
                society=run.society,
                holder=line.holder,
                share_class=share_class,
                shares=line.member_shares,
                amount=share_class.nominal_value * line.member_shares,
                effective_date=on_date,
                reference=f"Surplus, year ending {run.ends_on:%-d %B %Y} (run {run.pk}): "
                f"{line.get_part_display()} part as member shares",
            )
        except RegisterError as error:
            raise SurplusRunError(
                f"The register refused {line.holder}'s member shares: {error} Nothing was approved; "
                "change the rules to pay that part in money, or fix the register, and start the year again."
            ) from error
        line.save(update_fields=["ledger_entry"])
        issued += line.member_shares
    return issued


def _recipients(run: SurplusRun) -> dict[str, int]:
    return {
        part: run.lines.filter(part=part, paid__gt=0).count() for part in (LinePart.LABOUR, LinePart.USER)
    }


def _figures(run: SurplusRun, counts: dict[str, int], issued: int) -> str:
    text = (
        f"{format_money(run.reserves)} to reserves, {format_money(run.labour)} to Labour "
        f"({_members(counts[LinePart.LABOUR])}), {format_money(run.user)} to User "
        f"({_members(counts[LinePart.USER])}) and {format_money(run.investor)} to investors through their "
        "classes' return schedules"
    )
    if issued:
        text += f"; {issued:,} member shares issued"
    return text


def _members(count: int) -> str:
    return f"{count:,} member{'s' if count != 1 else ''}"


# --- Paying ---------------------------------------------------------------------------------------


def mark_surplus_run_paid(*, run: SurplusRun, by, paid_on: datetime.date | None = None) -> SurplusRun:
    """Record that the bank has paid an approved surplus run, and the investor runs with it;
    refused while anyone owed money has no payout account and was not paid another way or held."""
    permissions.require(by, "pay_runs", run.society)
    paid_on = paid_on or timezone.localdate()
    with transaction.atomic():
        run = _locked_run(run)
        run.transition_to(State.PAID)
        if paid_on <= run.ends_on:
            raise SurplusRunError(
                f"A year's surplus is paid after it ends ({run.ends_on}), not on {paid_on}."
            )
        refuse_while_accounts_missing(run, "recording the surplus run as paid")
        for investor_run in run.investor_runs.filter(state=DistributionRun.State.APPROVED).order_by("pk"):
            mark_run_paid(run=investor_run, by=by, paid_on=paid_on)
        run.paid_by, run.paid_at, run.paid_on = by, timezone.now(), paid_on
        run.save(update_fields=["state", "paid_by", "paid_at", "paid_on"])
        record_audit(
            society=run.society,
            actor=by,
            action="surplus_run.paid",
            summary=f"Year ending {run.ends_on:%-d %B %Y}: paid on {paid_on}",
            surplus_run=run.pk,
        )
    return run
