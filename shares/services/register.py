"""Writing to the share register. Every movement of shares goes through `record_entry`."""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import F, Sum
from django.utils import timezone
from djmoney.money import Money

from capital.models import ShareClass, Society
from capital.money import format_money, round_half_up
from shares.chain import append, lock_chain
from shares.errors import RegisterError
from shares.models import Holder, Holding, LedgerEntry
from shares.services.certificates import certify

Kind = LedgerEntry.Kind


@dataclass(frozen=True)
class Movement:
    """How one ledger kind changes holdings: the holder's sign, and whether a counterparty gains."""

    holder_sign: int
    to_counterparty: bool = False


MOVEMENTS = {
    Kind.ISSUE: Movement(holder_sign=+1),
    Kind.WITHDRAWAL: Movement(holder_sign=-1),
    Kind.REDEMPTION: Movement(holder_sign=-1),
    Kind.CANCELLATION: Movement(holder_sign=-1),
    Kind.TRANSFER: Movement(holder_sign=-1, to_counterparty=True),
}


def record_entry(
    *,
    society: Society,
    kind: LedgerEntry.Kind,
    holder: Holder,
    share_class: ShareClass,
    shares: int,
    amount: Money | None = None,
    effective_date: datetime.date | None = None,
    reference: str = "",
    counterparty: Holder | None = None,
) -> LedgerEntry:
    """Append one entry to the society's register and update the holdings it moves.

    Locks the society row so that numbering and chaining are serialised per society. `amount`
    is the paid-up capital moved; for a removal it defaults to the holding's pro-rata share.
    """
    if share_class.society_id != society.pk:
        raise RegisterError(f"{share_class.name} is not a share class of {society}.")
    if shares <= 0:
        raise RegisterError("A register entry moves a positive number of shares.")
    if (kind == Kind.TRANSFER) != (counterparty is not None):
        raise RegisterError("A transfer needs a receiving holder, and only a transfer has one.")
    if kind == Kind.TRANSFER and not share_class.transferable:
        raise RegisterError(f"{share_class.name} are not transferable.")
    if kind == Kind.ISSUE and amount is None:
        raise RegisterError("An issue of shares records the amount paid for them.")
    effective_date = effective_date or timezone.localdate()

    with transaction.atomic():
        lock_chain(society)
        movement = MOVEMENTS[kind]
        holding = _holding_for_update(holder, share_class, effective_date, create=movement.holder_sign > 0)
        if movement.holder_sign < 0:
            amount = _removal_amount(holding, shares, amount, holder, share_class)
        if amount.currency.code != society.currency:
            raise RegisterError(f"Amounts in {society}'s register are in {society.currency}.")
        receiver = counterparty if movement.to_counterparty else holder if movement.holder_sign > 0 else None
        if receiver is not None:
            _check_class_maximum(receiver, share_class, shares)
            _check_withdrawable_limit(society, receiver, share_class, amount)

        entry = LedgerEntry(
            society=society,
            kind=kind,
            holder=holder,
            counterparty=counterparty,
            share_class=share_class,
            shares=shares,
            amount=amount,
            effective_date=effective_date,
            reference=reference,
            recorded_at=timezone.now(),
        )
        append(entry, chain=LedgerEntry.objects.filter(society=society))

        _apply(holding, movement.holder_sign * shares, movement.holder_sign * amount, effective_date)
        if movement.to_counterparty:
            received = _holding_for_update(counterparty, share_class, effective_date, create=True)
            _apply(received, shares, amount, effective_date)
        certify(entry)
    return entry


def _holding_for_update(holder, share_class, on_date, *, create: bool) -> Holding:
    holdings = Holding.objects.select_for_update()
    if create:
        holding, _ = holdings.get_or_create(
            holder=holder,
            share_class=share_class,
            defaults={
                "amount_paid": Money(0, share_class.society.currency),
                "first_issued_on": on_date,
            },
        )
        return holding
    holding = holdings.filter(holder=holder, share_class=share_class).first()
    if holding is None:
        raise RegisterError(f"{holder} holds no {share_class.name}.")
    return holding


def _removal_amount(holding, shares, amount, holder, share_class) -> Money:
    if shares > holding.shares:
        raise RegisterError(
            f"{holder} holds {holding.shares} {share_class.name}; {shares} cannot be taken off the register."
        )
    if amount is not None:
        return amount
    if shares == holding.shares:
        return holding.amount_paid
    return Money(
        round_half_up(holding.amount_paid.amount * shares / holding.shares), holding.amount_paid.currency
    )


def _check_class_maximum(holder, share_class, extra_shares) -> None:
    if share_class.maximum_holding_shares is None:
        return
    held = (
        Holding.objects.filter(holder=holder, share_class=share_class)
        .values_list("shares", flat=True)
        .first()
        or 0
    )
    if held + extra_shares > share_class.maximum_holding_shares:
        raise RegisterError(
            f"{holder} would hold {held + extra_shares} {share_class.name}; "
            f"the most one holder may hold is {share_class.maximum_holding_shares}."
        )


def withdrawable_capital_held(holder: Holder, society: Society):
    """Paid-up capital `holder` has in `society`'s withdrawable classes (a Decimal)."""
    held = Holding.objects.filter(
        holder=holder, share_class__society=society, share_class__withdrawable=True
    ).aggregate(total=Sum("amount_paid"))["total"]
    return held or Decimal("0")


def _check_withdrawable_limit(society, holder, share_class, amount: Money) -> None:
    if not share_class.withdrawable or holder.is_exempt_from_holding_limit_in(society):
        return
    total = withdrawable_capital_held(holder, society) + amount.amount
    if total > society.individual_withdrawable_limit:
        raise RegisterError(
            f"{holder} would hold {format_money(society.money(total))} of withdrawable shares in {society}; "
            f"the law allows {format_money(society.money(society.individual_withdrawable_limit))}."
        )


def _apply(holding: Holding, shares_delta: int, amount_delta: Money, on_date) -> None:
    before = holding.shares
    Holding.objects.filter(pk=holding.pk).update(
        shares=F("shares") + shares_delta, amount_paid=F("amount_paid") + amount_delta.amount
    )
    after = before + shares_delta
    if after == 0 and before > 0:
        Holding.objects.filter(pk=holding.pk).update(ceased_on=on_date)
    elif before == 0 and after > 0:
        Holding.objects.filter(pk=holding.pk).update(ceased_on=None)


def issue_shares(
    *, society, holder, share_class, shares, amount, effective_date=None, reference=""
) -> LedgerEntry:
    return record_entry(
        society=society,
        kind=Kind.ISSUE,
        holder=holder,
        share_class=share_class,
        shares=shares,
        amount=amount,
        effective_date=effective_date,
        reference=reference,
    )


def remove_shares(
    *, society, kind, holder, share_class, shares, amount=None, effective_date=None, reference=""
) -> LedgerEntry:
    """Withdraw, redeem or cancel shares."""
    if kind not in (Kind.WITHDRAWAL, Kind.REDEMPTION, Kind.CANCELLATION):
        raise RegisterError(f"{kind} does not take shares off the register.")
    if kind == Kind.WITHDRAWAL and not share_class.withdrawable:
        raise RegisterError(f"{share_class.name} are not withdrawable.")
    return record_entry(
        society=society,
        kind=kind,
        holder=holder,
        share_class=share_class,
        shares=shares,
        amount=amount,
        effective_date=effective_date,
        reference=reference,
    )


def transfer_shares(
    *, society, holder, to, share_class, shares, effective_date=None, reference=""
) -> LedgerEntry:
    return record_entry(
        society=society,
        kind=Kind.TRANSFER,
        holder=holder,
        counterparty=to,
        share_class=share_class,
        shares=shares,
        effective_date=effective_date,
        reference=reference,
    )
