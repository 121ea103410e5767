"""Writing to the share register. Every movement of shares goes through `record_entry`, or
`record_entries` for many at once (an allocation, a distribution run's approval): the same
checks and the same entries, holdings and certificates, written in bulk."""

import datetime
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import F, Max, Sum
from django.utils import timezone
from djmoney.money import Money

from capital.bulk import insert_rows, update_rows
from capital.models import ShareClass, Society
from capital.money import format_money, round_half_up
from shares.chain import append, head_of, link, lock_chain
from shares.errors import RegisterError
from shares.models import Certificate, Holder, Holding, HoldingLimitExemption, LedgerEntry
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


@dataclass
class EntryRequest:
    """One entry for `record_entries`: what `record_entry` takes, for an issue or a removal.
    `about` is the caller's own (say, the application), handed back on a refusal."""

    kind: str
    holder: Holder
    share_class: ShareClass
    shares: int
    amount: Money | None = None
    effective_date: datetime.date | None = None
    reference: str = ""
    about: object = None
    entry: LedgerEntry | None = field(default=None, init=False)
    balance: int = field(default=0, init=False)


class BulkRegisterError(RegisterError):
    """A refusal of one of `record_entries`' requests (nothing was written)."""

    def __init__(self, message: str, request: EntryRequest):
        super().__init__(message)
        self.request = request


def record_entries(
    *, society: Society, requests: Sequence[EntryRequest], chunk: int = 2000
) -> list[LedgerEntry]:
    """Append `requests`, in order, to the society's register, as `record_entry` would one by
    one: the same checks, entries, holdings and certificates (each request's `entry` is set).

    The register lock is taken once; the holdings are read and locked in bulk, moved in memory,
    and written back in bulk; the entries are numbered and chained in memory (`chain.link`)
    and written in bulk (COPY on PostgreSQL), and so are their certificates. Transfers go one at a time
    through `record_entry`. All or nothing: a refusal (`BulkRegisterError`, naming its request)
    writes nothing.
    """
    if not requests:
        return []
    now = timezone.now()
    for request in requests:
        _check_request(society, request)
        request.effective_date = request.effective_date or timezone.localdate()
    with transaction.atomic():
        lock_chain(society)
        holdings = _holdings_for_update(society, requests, chunk)
        withdrawable = _withdrawable_held(society, requests, chunk)
        entries = [_move(society, request, holdings, withdrawable, now) for request in requests]
        head = head_of(LedgerEntry.objects.filter(society=society))
        link(entries, after=head)
        _insert_entries(society, entries, head, chunk)
        moved = list(holdings.values())
        # New holdings are written as they end up; the others are written back.
        insert_rows(Holding, [holding for holding in moved if holding.pk is None], batch_size=chunk)
        existing = [holding for holding in moved if holding.pk is not None]
        update_rows(Holding, existing, ["shares", "amount_paid", "ceased_on"], batch_size=chunk)
        _certify_all(society, requests, holdings, chunk)
    return entries


def _insert_entries(society, entries: list[LedgerEntry], head, chunk: int) -> None:
    """Write the chained entries; on PostgreSQL by COPY, then their ids read back by number."""
    if connection.vendor != "postgresql":
        LedgerEntry.objects.bulk_create(entries, batch_size=chunk)
        return
    insert_rows(LedgerEntry, entries, batch_size=chunk)
    ids = dict(
        LedgerEntry.objects.filter(society=society, sequence__gt=head.sequence).values_list("sequence", "pk")
    )
    for entry in entries:
        entry.pk = ids[entry.sequence]
        entry._state.adding, entry._state.db = False, "default"


def _check_request(society: Society, request: EntryRequest) -> None:
    def refuse(message):
        raise BulkRegisterError(message, request)

    if request.share_class.society_id != society.pk:
        refuse(f"{request.share_class.name} is not a share class of {society}.")
    if request.shares <= 0:
        refuse("A register entry moves a positive number of shares.")
    if request.kind not in (Kind.ISSUE, Kind.WITHDRAWAL, Kind.REDEMPTION, Kind.CANCELLATION):
        refuse(f"{request.kind} entries are recorded one at a time.")
    if request.kind == Kind.ISSUE and request.amount is None:
        refuse("An issue of shares records the amount paid for them.")


def _holdings_for_update(society, requests, chunk) -> dict[tuple[int, int], Holding]:
    """Every holding the requests move, locked (in id order, as one at a time would); for a
    holder receiving an issue who has none, a new one (unsaved: written once it is moved)."""
    pairs = {(request.holder.pk, request.share_class.pk) for request in requests}
    class_ids = {class_id for _, class_id in pairs}
    holder_ids = sorted({holder_id for holder_id, _ in pairs})
    found = {}
    for start in range(0, len(holder_ids), chunk):
        for holding in (
            Holding.objects.select_for_update()
            .filter(holder_id__any_of=holder_ids[start : start + chunk], share_class_id__in=class_ids)
            .order_by("pk")
        ):
            found[(holding.holder_id, holding.share_class_id)] = holding
    for request in requests:
        key = (request.holder.pk, request.share_class.pk)
        if key in found:
            continue
        if request.kind != Kind.ISSUE:
            raise BulkRegisterError(f"{request.holder} holds no {request.share_class.name}.", request)
        found[key] = Holding(
            holder=request.holder,
            share_class=request.share_class,
            amount_paid=Money(0, society.currency),
            first_issued_on=request.effective_date,
        )
    return {key: holding for key, holding in found.items() if key in pairs}


def _withdrawable_held(society, requests, chunk) -> dict[int, Decimal]:
    """Paid-up withdrawable capital of every holder the requests issue withdrawable shares to,
    leaving out those this society's board has exempted from the limit."""
    candidates = {
        request.holder.pk
        for request in requests
        if request.kind == Kind.ISSUE
        and request.share_class.withdrawable
        and request.holder.kind == Holder.Kind.ORGANISATION
    }
    exempt = set()
    ordered = sorted(candidates)
    for start in range(0, len(ordered), chunk):
        exempt.update(
            HoldingLimitExemption.objects.filter(
                society=society, holder_id__any_of=ordered[start : start + chunk]
            ).values_list("holder_id", flat=True)
        )
    holder_ids = sorted(
        {
            request.holder.pk
            for request in requests
            if request.kind == Kind.ISSUE
            and request.share_class.withdrawable
            and request.holder.pk not in exempt
        }
    )
    held = dict.fromkeys(holder_ids, Decimal("0"))
    for start in range(0, len(holder_ids), chunk):
        held.update(
            Holding.objects.filter(
                holder_id__any_of=holder_ids[start : start + chunk],
                share_class__society=society,
                share_class__withdrawable=True,
            )
            .values_list("holder_id")
            .annotate(total=Sum("amount_paid"))
            .values_list("holder_id", "total")
        )
    return held


def _move(society, request, holdings, withdrawable, now) -> LedgerEntry:
    holding = holdings[(request.holder.pk, request.share_class.pk)]
    movement = MOVEMENTS[request.kind]
    amount = request.amount
    try:
        if movement.holder_sign < 0:
            amount = _removal_amount(holding, request.shares, amount, request.holder, request.share_class)
        if amount.currency.code != society.currency:
            raise RegisterError(f"Amounts in {society}'s register are in {society.currency}.")
        if movement.holder_sign > 0:
            maximum = request.share_class.maximum_holding_shares
            if maximum is not None and holding.shares + request.shares > maximum:
                raise RegisterError(
                    f"{request.holder} would hold {holding.shares + request.shares} "
                    f"{request.share_class.name}; the most one holder may hold is {maximum}."
                )
            if request.holder.pk in withdrawable:
                total = withdrawable[request.holder.pk] + amount.amount
                if total > society.individual_withdrawable_limit:
                    limit = society.money(society.individual_withdrawable_limit)
                    raise RegisterError(
                        f"{request.holder} would hold {format_money(society.money(total))} of withdrawable "
                        f"shares in {society}; the law allows {format_money(limit)}."
                    )
                withdrawable[request.holder.pk] = total
        elif request.holder.pk in withdrawable and request.share_class.withdrawable:
            withdrawable[request.holder.pk] -= amount.amount
    except BulkRegisterError:
        raise
    except RegisterError as error:
        raise BulkRegisterError(str(error), request) from None
    before = holding.shares
    holding.shares += movement.holder_sign * request.shares
    # Money's own arithmetic reads the settings on every operation; tens of thousands add up.
    holding.amount_paid = Money(
        holding.amount_paid.amount + movement.holder_sign * amount.amount, society.currency
    )
    if holding.shares == 0 and before > 0:
        holding.ceased_on = request.effective_date
    elif before == 0 and holding.shares > 0:
        holding.ceased_on = None
    request.entry = LedgerEntry(
        society=society,
        kind=request.kind,
        holder=request.holder,
        share_class=request.share_class,
        shares=request.shares,
        amount=amount,
        effective_date=request.effective_date,
        reference=request.reference,
        recorded_at=now,
    )
    request.balance = holding.shares
    return request.entry


def _certify_all(society, requests, holdings, chunk) -> None:
    """What `certify` does for each entry, in order: an issue certifies the shares issued; a
    removal ends the holding's valid certificates and certifies the balance."""
    removing = {(r.holder.pk, r.share_class.pk) for r in requests if r.kind != Kind.ISSUE}
    valid: dict[tuple[int, int], list[Certificate]] = {key: [] for key in holdings}
    holder_ids = sorted({holder_id for holder_id, _ in removing})
    class_ids = {class_id for _, class_id in removing}
    for start in range(0, len(holder_ids), chunk):
        for certificate in Certificate.objects.filter(
            holder_id__any_of=holder_ids[start : start + chunk],
            share_class_id__in=class_ids,
            state=Certificate.State.VALID,
        ):
            key = (certificate.holder_id, certificate.share_class_id)
            if key in removing:
                valid[key].append(certificate)
    number = Certificate.objects.filter(society=society).aggregate(last=Max("number"))["last"] or 0
    created, ended = [], []

    def issue(entry, shares):
        nonlocal number
        number += 1
        certificate = Certificate(
            society=society,
            number=number,
            holder=entry.holder,
            share_class=entry.share_class,
            shares=shares,
            issued_on=entry.effective_date,
            ledger_entry=entry,
            entry_hash=entry.entry_hash,
        )
        created.append(certificate)
        return certificate

    for request in requests:
        key = (request.holder.pk, request.share_class.pk)
        if request.kind == Kind.ISSUE:
            valid[key].append(issue(request.entry, request.shares))
            continue
        state = Certificate.State.SUPERSEDED if request.balance else Certificate.State.CANCELLED
        for certificate in valid[key]:
            certificate.state, certificate.ended_by = state, request.entry
            if certificate.pk is not None:
                ended.append(certificate)
        valid[key] = [issue(request.entry, request.balance)] if request.balance else []
    insert_rows(Certificate, created, batch_size=chunk)
    update_rows(Certificate, ended, ["state", "ended_by"], batch_size=chunk)


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
