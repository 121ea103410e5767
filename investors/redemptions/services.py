"""Redeeming investor shares from a fund the society sets aside: holders whose shares are past
the class's minimum holding period ask, the queue is served first come first served at par (or
the class's stated price) within what the fund holds and what the society can afford, a director
approves (the shares leave the register as a redemption, the fund pays), the treasurer pays.

A way out for patient capital that never hands an investor control: the society buys the shares
back at a price fixed in advance, when it can.
"""

import datetime
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone
from djmoney.money import Money

from capital import permissions
from capital.decisions import Kind, announce_decision
from capital.models import ShareClass
from capital.money import PENNY, format_money
from capital.services import record_audit
from investors.earmarks import earmarks
from investors.errors import RedemptionError
from investors.models import RedemptionFund, RedemptionFundMovement, RedemptionRequest
from investors.notify import email_holder
from investors.redemptions.payouts import refuse_payment_while_unresolved
from shares.errors import RegisterError
from shares.models import Holder, Holding, LedgerEntry
from shares.services.register import remove_shares
from shares.services.register_reads import shares_held_since

State = RedemptionRequest.State
Movement = RedemptionFundMovement.Kind


def redemption_price(share_class: ShareClass) -> Money:
    """What the society pays for each share: the class's stated price, or par."""
    return share_class.redemption_price or share_class.nominal_value


def holding_cutoff(share_class: ShareClass, today: datetime.date) -> datetime.date:
    """Shares held since this day or before are past the class's minimum holding period."""
    years = share_class.redemption_minimum_holding_years
    try:
        return today.replace(year=today.year - years)
    except ValueError:  # 29 February, in a year that has none
        return today.replace(year=today.year - years, day=28)


def redeemable_now(holder: Holder, share_class: ShareClass, today: datetime.date | None = None) -> int:
    """How many of the holder's shares they may ask to be redeemed today: those past the
    minimum holding period, less any already asked to be redeemed or transferred."""
    if share_class.redemption_minimum_holding_years is None:
        return 0
    eligible = shares_held_since(
        holder, share_class, holding_cutoff(share_class, today or timezone.localdate())
    )
    return max(0, eligible - earmarks(holder, share_class).total)


# --- The fund -------------------------------------------------------------------------------------


def set_aside(*, share_class: ShareClass, amount: Money, by, note: str = "") -> RedemptionFund:
    """The board sets money aside to redeem the class's shares."""
    return _move_fund(share_class=share_class, kind=Movement.SET_ASIDE, amount=amount, by=by, note=note)


def release(*, share_class: ShareClass, amount: Money, by, note: str = "") -> RedemptionFund:
    """The board takes money back out of the fund (never more than it holds)."""
    return _move_fund(share_class=share_class, kind=Movement.RELEASED, amount=amount, by=by, note=note)


def _move_fund(*, share_class, kind, amount: Money, by, note) -> RedemptionFund:
    permissions.require(by, "decide_redemptions", share_class.society)
    if not share_class.is_investor_class:
        raise RedemptionError(
            "A redemption fund is for investor shares; community shares are withdrawn instead."
        )
    if str(amount.currency) != share_class.society.currency:
        raise RedemptionError(f"Give the amount in {share_class.society.currency}.")
    if amount.amount <= 0 or amount.amount != amount.amount.quantize(PENNY):
        raise RedemptionError("Give an amount of money more than nothing, in whole pennies.")
    with transaction.atomic():
        ShareClass.objects.select_for_update().get(pk=share_class.pk)
        fund, _ = RedemptionFund.objects.get_or_create(
            share_class=share_class, defaults={"balance": share_class.society.money(0)}
        )
        fund = RedemptionFund.objects.select_for_update().get(pk=fund.pk)
        if kind == Movement.RELEASED and amount > fund.balance:
            raise RedemptionError(
                f"The fund holds {format_money(fund.balance)}; no more than that can be released."
            )
        fund.balance = fund.balance + amount if kind == Movement.SET_ASIDE else fund.balance - amount
        fund.save(update_fields=["balance"])
        RedemptionFundMovement.objects.create(
            fund=fund, kind=kind, amount=amount, balance_after=fund.balance, note=note.strip(), recorded_by=by
        )
        verb = "set aside" if kind == Movement.SET_ASIDE else "released"
        summary = (
            f"{format_money(amount)} {verb} to redeem {share_class.name}; the fund holds "
            f"{format_money(fund.balance)}."
        )
        record_audit(
            society=share_class.society,
            actor=by,
            action=f"redemption_fund.{kind}",
            summary=summary,
            fund=fund.pk,
        )
        announce_decision(
            society=share_class.society,
            kind=Kind.REDEMPTION_FUND_CHANGED,
            summary=summary + (f" {note.strip()}" if note.strip() else ""),
            actor=by,
            share_class=share_class.pk,
            amount=str(amount.amount),
            balance=str(fund.balance.amount),
        )
    return fund


# --- Asking ---------------------------------------------------------------------------------------


def request_redemption(
    *, holder: Holder, share_class: ShareClass, shares: int, by=None, now: datetime.datetime | None = None
) -> RedemptionRequest:
    """Ask to be redeemed for `shares` past the class's minimum holding period."""
    if by is not None and holder.user_id != by.pk:
        raise RedemptionError("You can only ask to redeem your own shares.")
    if share_class.redemption_minimum_holding_years is None or not share_class.is_investor_class:
        raise RedemptionError(f"{share_class.society} does not redeem {share_class.name} on request.")
    if shares < 1:
        raise RedemptionError("Ask to redeem at least one share.")
    if holder.died_on is not None:
        raise RedemptionError(
            f"{holder} is recorded as having died: their shares pass as their estate is settled."
        )
    now = now or timezone.now()
    with transaction.atomic():
        ShareClass.objects.select_for_update().get(pk=share_class.pk)
        Holding.objects.select_for_update(of=("self",)).filter(holder=holder, share_class=share_class).first()
        free = redeemable_now(holder, share_class, timezone.localdate(now))
        if shares > free:
            years = share_class.redemption_minimum_holding_years
            raise RedemptionError(
                f"Shares can be redeemed once they have been held {years} year{'s' if years != 1 else ''}; "
                f"you can ask for at most {free} of your {share_class.name} now (any already asked to be "
                "redeemed or transferred are not counted)."
            )
        price = redemption_price(share_class)
        request = RedemptionRequest.objects.create(
            holder=holder,
            share_class=share_class,
            shares=shares,
            price_per_share=price,
            amount=price * shares,
            requested_at=now,
        )
        record_audit(
            society=share_class.society,
            actor=by,
            action="redemption.requested",
            summary=f"{holder} asked to redeem {shares} {share_class.name}, {format_money(request.amount)}",
            redemption=request.pk,
        )
    return request


def cancel_redemption(*, request: RedemptionRequest, by=None) -> RedemptionRequest:
    with transaction.atomic():
        request = _locked(request)
        if by is not None and request.holder.user_id != by.pk:
            raise RedemptionError("You can only cancel your own redemption requests.")
        request.transition_to(State.CANCELLED)
        request.decided_at, request.decided_by = timezone.now(), by
        request.save(update_fields=["state", "decided_at", "decided_by"])
    return request


# --- The board's decisions ------------------------------------------------------------------------


@dataclass
class RedemptionPlan:
    share_class: ShareClass
    fund_balance: Money
    approvable: list[RedemptionRequest] = field(default_factory=list)
    stopped: str = ""

    @property
    def total(self) -> Money:
        return sum((request.amount for request in self.approvable), self.share_class.society.money(0))

    def sentences(self) -> list[str]:
        name = self.share_class.name
        if not self.approvable:
            return [self.stopped or f"No request to redeem {name} is waiting."]
        sentences = [
            f"{len(self.approvable)} redemptions of {name} are approved, in the order they were asked for: "
            f"{format_money(self.total)} from the fund, which holds {format_money(self.fund_balance)}. "
            "Their shares leave the register as redemptions today and the money is owed to each holder.",
            *(
                f"{request.holder}: {request.shares} shares at {format_money(request.price_per_share)}, "
                f"{format_money(request.amount)} (asked {timezone.localtime(request.requested_at):%-d %B %Y})"
                for request in self.approvable
            ),
        ]
        if self.stopped:
            sentences.append(self.stopped)
        return sentences


def plan_redemptions(share_class: ShareClass, *, budget: Money | None = None) -> RedemptionPlan:
    """The waiting requests that can be paid now, first come first served, within what the fund
    holds and `budget` (what the society can afford; None: no further limit). The queue stops at
    the first request that does not fit, so nobody behind it is paid first."""
    fund = RedemptionFund.objects.filter(share_class=share_class).first()
    balance = fund.balance if fund else share_class.society.money(0)
    plan = RedemptionPlan(share_class=share_class, fund_balance=balance)
    pending = RedemptionRequest.objects.filter(share_class=share_class, state=State.PENDING).select_related(
        "holder"
    )
    held = dict(
        Holding.objects.filter(share_class=share_class, holder__in=pending.values("holder")).values_list(
            "holder_id", "shares"
        )
    )
    for request in pending.order_by("requested_at", "pk"):
        spent = plan.total + request.amount
        if spent > balance:
            plan.stopped = (
                f"Next in the queue, {request.holder}'s {format_money(request.amount)} would pass what the "
                f"fund holds ({format_money(balance - plan.total)} left); it and those behind it wait."
            )
            break
        if budget is not None and spent > budget:
            plan.stopped = (
                f"Next in the queue, {request.holder}'s {format_money(request.amount)} would pass the "
                f"{format_money(budget)} the society can afford; it and those behind it wait."
            )
            break
        if held.get(request.holder_id, 0) < request.shares:
            plan.stopped = (
                f"Next in the queue, {request.holder} asks for {request.shares} shares but holds "
                f"{held.get(request.holder_id, 0)}; refuse it before approving those behind it."
            )
            break
        held[request.holder_id] -= request.shares
        plan.approvable.append(request)
    return plan


def approve_redemptions(
    *, share_class: ShareClass, by, budget: Money | None = None, on_date: datetime.date | None = None
) -> RedemptionPlan:
    """A director approves the queue: each approvable request's shares leave the register as a
    redemption (their certificates end, the balance is certified again), the fund pays for it,
    and the money is owed to the holder."""
    permissions.require(by, "decide_redemptions", share_class.society)
    on_date = on_date or timezone.localdate()
    if on_date > timezone.localdate():
        raise RedemptionError("Redemptions are approved on or before today, not in the future.")
    with transaction.atomic():
        share_class = ShareClass.objects.select_for_update().select_related("society").get(pk=share_class.pk)
        fund = RedemptionFund.objects.select_for_update().filter(share_class=share_class).first()
        plan = plan_redemptions(share_class, budget=budget)
        if not plan.approvable:
            raise RedemptionError(plan.sentences()[0])
        now = timezone.now()
        for request in plan.approvable:
            request = _locked(request)
            request.transition_to(State.APPROVED)
            try:
                request.ledger_entry = remove_shares(
                    society=share_class.society,
                    kind=LedgerEntry.Kind.REDEMPTION,
                    holder=request.holder,
                    share_class=share_class,
                    shares=request.shares,
                    effective_date=on_date,
                    reference=f"Redemption {request.pk} at {format_money(request.price_per_share)} a share",
                )
            except RegisterError as error:
                raise RedemptionError(
                    f"The register refused {request.holder}'s redemption: {error} Nothing was approved."
                ) from error
            request.decided_at, request.decided_by = now, by
            request.save(update_fields=["state", "ledger_entry", "decided_at", "decided_by"])
            fund.balance -= request.amount
            RedemptionFundMovement.objects.create(
                fund=fund,
                kind=Movement.REDEMPTION,
                amount=request.amount,
                balance_after=fund.balance,
                redemption=request,
                recorded_by=by,
            )
            _tell_holder(request)
        fund.save(update_fields=["balance"])
        record_audit(
            society=share_class.society,
            actor=by,
            action="redemptions.approved",
            summary=(
                f"{len(plan.approvable)} redemptions of {share_class.name}: {format_money(plan.total)}; "
                f"the fund holds {format_money(fund.balance)}"
            ),
            redemptions=[request.pk for request in plan.approvable],
        )
    return plan


def refuse_redemption(*, request: RedemptionRequest, reason: str, by) -> RedemptionRequest:
    permissions.require(by, "decide_redemptions", request.share_class.society)
    if not reason.strip():
        raise RedemptionError("Say why the redemption is refused; the holder is told.")
    with transaction.atomic():
        request = _locked(request)
        request.transition_to(State.REFUSED)
        request.refusal_reason, request.decided_at, request.decided_by = reason.strip(), timezone.now(), by
        request.save(update_fields=["state", "refusal_reason", "decided_at", "decided_by"])
        record_audit(
            society=request.share_class.society,
            actor=by,
            action="redemption.refused",
            summary=f"{request.holder}'s redemption of {request.shares} {request.share_class.name}: {reason}",
            redemption=request.pk,
        )
        _tell_holder(request)
    return request


def mark_redemption_paid(
    *, request: RedemptionRequest, reference: str, by, paid_on: datetime.date | None = None
) -> RedemptionRequest:
    permissions.require(by, "pay_redemptions", request.share_class.society)
    if not reference.strip():
        raise RedemptionError("Give the bank payment's reference, so the payment can be traced.")
    with transaction.atomic():
        request = _locked(request)
        request.transition_to(State.PAID)
        refuse_payment_while_unresolved(request)
        request.paid_on, request.paid_reference = paid_on or timezone.localdate(), reference.strip()
        request.save(update_fields=["state", "paid_on", "paid_reference"])
        record_audit(
            society=request.share_class.society,
            actor=by,
            action="redemption.paid",
            summary=f"{request.holder}: {format_money(request.amount)} paid ({request.paid_reference})",
            redemption=request.pk,
        )
    return request


def _tell_holder(request: RedemptionRequest) -> None:
    society = request.share_class.society
    refused = request.state == State.REFUSED
    email_holder(
        holder=request.holder,
        template="redemption_refused" if refused else "redemption_approved",
        subject=f"Your redemption from {society.name} " + ("was refused" if refused else "is approved"),
        request=request,
        society=society,
        amount=format_money(request.amount),
    )


def _locked(request: RedemptionRequest) -> RedemptionRequest:
    return (
        RedemptionRequest.objects.select_for_update(of=("self",))
        .select_related("holder", "share_class__society")
        .get(pk=request.pk)
    )
