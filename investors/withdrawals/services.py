"""Withdrawals of withdrawable shares: requested by the holder, queued first come first served,
approved by a director (the shares leave the register and the money is owed), paid by the
treasurer.

The society's rules decide what may be paid and when: the notice period, any waiting period
before the first withdrawal, a yearly limit, and the board's power to suspend withdrawals
(needed for the shares to count as equity). Within them the queue is strict: a request that
does not fit stops the queue, so nobody behind it is paid first.
"""

import datetime
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from djmoney.money import Money

from capital import permissions
from capital.decisions import Kind, announce_decision
from capital.models import ShareClass, Society
from capital.money import format_money
from capital.services import record_audit
from investors.earmarks import earmarks
from investors.errors import WithdrawalError
from investors.models import WithdrawalRequest
from investors.notify import email_holder
from shares.errors import RegisterError
from shares.models import Holder, Holding, LedgerEntry
from shares.services.register import remove_shares

State = WithdrawalRequest.State


def request_withdrawal(
    *, holder: Holder, share_class: ShareClass, shares: int, by=None, now: datetime.datetime | None = None
) -> WithdrawalRequest:
    """Ask to withdraw `shares`. `by` is the holder's own login (or None for the system)."""
    if by is not None and holder.user_id != by.pk:
        raise WithdrawalError("You can only ask to withdraw your own shares.")
    if not share_class.withdrawable:
        raise WithdrawalError(f"{share_class.name} are not withdrawable.")
    if holder.died_on is not None:
        raise WithdrawalError(
            f"{holder} is recorded as having died: their shares pass as their estate is settled."
        )
    if shares < 1:
        raise WithdrawalError("Ask to withdraw at least one share.")
    now = now or timezone.now()
    with transaction.atomic():
        # The class first (as approval does), then the holding: one request at a time per
        # holding, so two tabs cannot ask for the same shares, and no deadlock with approval.
        ShareClass.objects.select_for_update().get(pk=share_class.pk)
        holding = (
            Holding.objects.select_for_update(of=("self",))
            .filter(holder=holder, share_class=share_class)
            .first()
        )
        held = holding.shares if holding else 0
        spoken_for = earmarks(holder, share_class)
        free = held - spoken_for.total
        if shares > free:
            raise WithdrawalError(
                f"You hold {held} {share_class.name}{spoken_for.describe()}; "
                f"you can ask to withdraw at most {max(free, 0)}."
            )
        left = free - shares
        if share_class.confers_membership and 0 < left < share_class.membership_minimum_shares:
            raise WithdrawalError(
                f"Members keep at least {share_class.membership_minimum_shares} {share_class.name}: "
                f"withdraw all {free}, or at most {free - share_class.membership_minimum_shares}."
            )
        request = WithdrawalRequest.objects.create(
            holder=holder,
            share_class=share_class,
            shares=shares,
            amount=share_class.nominal_value * shares,
            requested_at=now,
            due_on=_due_on(share_class, timezone.localdate(now)),
        )
        record_audit(
            society=share_class.society,
            actor=by,
            action="withdrawal.requested",
            summary=f"{holder} asked to withdraw {shares} {share_class.name}, {format_money(request.amount)}",
            withdrawal=request.pk,
        )
    return request


def _due_on(share_class: ShareClass, today: datetime.date) -> datetime.date:
    due = today + datetime.timedelta(days=share_class.withdrawal_notice_days)
    if share_class.withdrawals_open_from and due < share_class.withdrawals_open_from:
        return share_class.withdrawals_open_from
    return due


def cancel_withdrawal(*, request: WithdrawalRequest, by=None) -> WithdrawalRequest:
    """The holder changes their mind while the request still waits."""
    with transaction.atomic():
        request = _locked(request)
        if by is not None and request.holder.user_id != by.pk:
            raise WithdrawalError("You can only cancel your own withdrawal requests.")
        request.transition_to(State.CANCELLED)
        request.decided_at, request.decided_by = timezone.now(), by
        request.save(update_fields=["state", "decided_at", "decided_by"])
    return request


def _locked(request: WithdrawalRequest) -> WithdrawalRequest:
    return (
        WithdrawalRequest.objects.select_for_update(of=("self",))
        .select_related("holder", "share_class__society")
        .get(pk=request.pk)
    )


# --- The board's decisions ------------------------------------------------------------------------


@dataclass
class WithdrawalPlan:
    """What approving the due queue would do: the requests paid, in order, and why it stops."""

    share_class: ShareClass
    on_date: datetime.date
    approvable: list[WithdrawalRequest] = field(default_factory=list)
    stopped: str = ""

    @property
    def total(self) -> Money:
        return sum((request.amount for request in self.approvable), self.share_class.society.money(0))

    def sentences(self) -> list[str]:
        name = self.share_class.name
        if not self.approvable:
            return [self.stopped or f"No withdrawal of {name} is due on {self.on_date:%-d %B %Y}."]
        sentences = [
            f"{len(self.approvable)} withdrawals of {name} are paid, in the order they were asked for: "
            f"{format_money(self.total)} in all. Their shares leave the register on "
            f"{self.on_date:%-d %B %Y} and the money is owed to each holder.",
            *(
                f"{request.holder}: {request.shares} shares, {format_money(request.amount)} "
                f"(asked {timezone.localtime(request.requested_at):%-d %B %Y})"
                for request in self.approvable
            ),
        ]
        if self.stopped:
            sentences.append(self.stopped)
        return sentences


def plan_withdrawals(
    share_class: ShareClass, *, on_date: datetime.date | None = None, budget: Money | None = None
) -> WithdrawalPlan:
    """The due requests that can be paid now, first come first served, within the class's
    yearly limit and `budget` (what the society can afford; None: no further limit)."""
    on_date = on_date or timezone.localdate()
    plan = WithdrawalPlan(share_class=share_class, on_date=on_date)
    if not share_class.withdrawable:
        plan.stopped = f"{share_class.name} are not withdrawable."
        return plan
    if share_class.withdrawals_suspended:
        plan.stopped = (
            f"Withdrawals of {share_class.name} are suspended"
            + (
                f": {share_class.withdrawals_suspended_reason}"
                if share_class.withdrawals_suspended_reason
                else ""
            )
            + ". Resume them before approving any."
        )
        return plan
    room = _room_this_year(share_class, on_date)
    due = WithdrawalRequest.objects.filter(share_class=share_class, state=State.PENDING).select_related(
        "holder"
    )
    held = dict(
        Holding.objects.filter(share_class=share_class, holder__in=due.values("holder")).values_list(
            "holder_id", "shares"
        )
    )
    for request in due.order_by("requested_at", "pk"):
        if request.due_on > on_date:
            plan.stopped = (
                f"Next in the queue, {request.holder}'s request is not due until {request.due_on:%-d %B %Y}; "
                "those behind it wait too."
            )
            break
        spent = plan.total + request.amount
        if room is not None and spent > room:
            plan.stopped = (
                f"Next in the queue, {request.holder}'s {format_money(request.amount)} would pass this "
                f"financial year's limit ({format_money(room)} left of it); it and those behind it wait."
            )
            break
        if budget is not None and spent > budget:
            plan.stopped = (
                f"Next in the queue, {request.holder}'s {format_money(request.amount)} would pass the "
                f"{format_money(budget)} available; it and those behind it wait."
            )
            break
        left = held.get(request.holder_id, 0) - request.shares
        minimum = share_class.membership_minimum_shares if share_class.confers_membership else 1
        if left < 0 or 0 < left < minimum:
            why = (
                f"would leave {left} shares, fewer than the {minimum} a member keeps"
                if left >= 0
                else "asks for more shares than they still hold"
            )
            plan.stopped = (
                f"Next in the queue, {request.holder}'s request for {request.shares} shares {why}; refuse it "
                "(the holder can ask again) before approving those behind it."
            )
            break
        held[request.holder_id] = left
        plan.approvable.append(request)
    return plan


def _room_this_year(share_class: ShareClass, on_date: datetime.date) -> Money | None:
    """What the yearly limit still allows in the financial year containing `on_date`."""
    if share_class.withdrawal_yearly_limit is None:
        return None
    starts_on, ends_on = _financial_year(share_class.society, on_date)
    approved = WithdrawalRequest.objects.filter(
        share_class=share_class,
        state__in=[State.APPROVED, State.PAID],
        ledger_entry__effective_date__range=(starts_on, ends_on),
    ).aggregate(total=Sum("amount"))["total"]
    return share_class.withdrawal_yearly_limit - share_class.society.money(approved or 0)


def _financial_year(society: Society, day: datetime.date) -> tuple[datetime.date, datetime.date]:
    end = society.financial_year_end_in(day.year)
    if day > end:
        end = society.financial_year_end_in(day.year + 1)
    previous_end = society.financial_year_end_in(end.year - 1)
    return previous_end + datetime.timedelta(days=1), end


def approve_withdrawals(
    *, share_class: ShareClass, by, on_date: datetime.date | None = None, budget: Money | None = None
) -> WithdrawalPlan:
    """A director approves the due queue: each approvable request's shares leave the register
    (their certificates end, a new one is issued for any balance) and the money is owed."""
    permissions.require(by, "decide_withdrawals", share_class.society)
    on_date = on_date or timezone.localdate()
    if on_date > timezone.localdate():
        raise WithdrawalError("Withdrawals are approved on or before today, not in the future.")
    with transaction.atomic():
        share_class = ShareClass.objects.select_for_update().select_related("society").get(pk=share_class.pk)
        plan = plan_withdrawals(share_class, on_date=on_date, budget=budget)
        if not plan.approvable:
            raise WithdrawalError(plan.sentences()[0])
        now = timezone.now()
        approved = []
        for request in plan.approvable:
            request = _locked(request)
            request.transition_to(State.APPROVED)
            try:
                request.ledger_entry = remove_shares(
                    society=share_class.society,
                    kind=LedgerEntry.Kind.WITHDRAWAL,
                    holder=request.holder,
                    share_class=share_class,
                    shares=request.shares,
                    amount=request.amount,
                    effective_date=on_date,
                    reference=f"Withdrawal {request.pk}",
                )
            except RegisterError as error:
                raise WithdrawalError(
                    f"The register refused {request.holder}'s withdrawal: {error} Nothing was approved."
                ) from error
            request.decided_at, request.decided_by = now, by
            request.save(update_fields=["state", "ledger_entry", "decided_at", "decided_by"])
            approved.append(request)
        record_audit(
            society=share_class.society,
            actor=by,
            action="withdrawals.approved",
            summary=f"{len(plan.approvable)} withdrawals of {share_class.name}: {format_money(plan.total)}",
            withdrawals=[request.pk for request in plan.approvable],
        )
        for request in approved:
            _tell_holder(request)
    return plan


def refuse_withdrawal(*, request: WithdrawalRequest, reason: str, by) -> WithdrawalRequest:
    permissions.require(by, "decide_withdrawals", request.share_class.society)
    if not reason.strip():
        raise WithdrawalError("Say why the withdrawal is refused; the holder is told.")
    with transaction.atomic():
        request = _locked(request)
        request.transition_to(State.REFUSED)
        request.refusal_reason, request.decided_at, request.decided_by = reason.strip(), timezone.now(), by
        request.save(update_fields=["state", "refusal_reason", "decided_at", "decided_by"])
        record_audit(
            society=request.share_class.society,
            actor=by,
            action="withdrawal.refused",
            summary=f"{request.holder}'s withdrawal of {request.shares} {request.share_class.name}: {reason}",
            withdrawal=request.pk,
        )
        _tell_holder(request)
    return request


def mark_withdrawal_paid(
    *, request: WithdrawalRequest, reference: str, by, paid_on: datetime.date | None = None
) -> WithdrawalRequest:
    permissions.require(by, "pay_withdrawals", request.share_class.society)
    if not reference.strip():
        raise WithdrawalError("Give the bank payment's reference, so the payment can be traced.")
    with transaction.atomic():
        request = _locked(request)
        request.transition_to(State.PAID)
        request.paid_on, request.paid_reference = paid_on or timezone.localdate(), reference.strip()
        request.save(update_fields=["state", "paid_on", "paid_reference"])
        record_audit(
            society=request.share_class.society,
            actor=by,
            action="withdrawal.paid",
            summary=f"{request.holder}: {format_money(request.amount)} paid ({request.paid_reference})",
            withdrawal=request.pk,
        )
    return request


def _tell_holder(request: WithdrawalRequest) -> None:
    """The board's decision, emailed once it is saved."""
    society = request.share_class.society
    refused = request.state == State.REFUSED
    email_holder(
        holder=request.holder,
        template="withdrawal_refused" if refused else "withdrawal_approved",
        subject=f"Your withdrawal from {society.name} " + ("was refused" if refused else "is approved"),
        request=request,
        society=society,
        amount=format_money(request.amount),
    )


def suspend_withdrawals(*, share_class: ShareClass, reason: str, by) -> ShareClass:
    """The board's power to suspend withdrawals; requests keep their place in the queue."""
    return _set_suspended(share_class, True, reason.strip(), by)


def resume_withdrawals(*, share_class: ShareClass, by) -> ShareClass:
    return _set_suspended(share_class, False, "", by)


def _set_suspended(share_class: ShareClass, suspended: bool, reason: str, by) -> ShareClass:
    permissions.require(by, "decide_withdrawals", share_class.society)
    if suspended and not reason:
        raise WithdrawalError("Say why withdrawals are suspended; holders are told.")
    with transaction.atomic():
        share_class = ShareClass.objects.select_for_update().select_related("society").get(pk=share_class.pk)
        share_class.withdrawals_suspended, share_class.withdrawals_suspended_reason = suspended, reason
        share_class.save(update_fields=["withdrawals_suspended", "withdrawals_suspended_reason"])
        record_audit(
            society=share_class.society,
            actor=by,
            action="withdrawals.suspended" if suspended else "withdrawals.resumed",
            summary=f"{share_class.name}: {reason or 'withdrawals resumed'}",
            share_class=share_class.pk,
        )
        announce_decision(
            society=share_class.society,
            kind=Kind.WITHDRAWALS_SUSPENDED if suspended else Kind.WITHDRAWALS_RESUMED,
            summary=(
                f"Withdrawals of {share_class.name} are suspended: {reason}"
                if suspended
                else f"Withdrawals of {share_class.name} are resumed."
            ),
            actor=by,
            share_class=share_class.pk,
            reason=reason,
        )
    return share_class
