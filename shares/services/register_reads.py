"""Reading the register as it stood on a day, replayed from the ledger, and its rows and totals
as the register of members prints them. Read-only: the register PDF, statements and yearly
summaries read through here."""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Q
from djmoney.money import Money

from capital.models import ShareClass, Society
from shares.models import Holder, Holding, LedgerEntry
from shares.services.exports import RegisterLine, register_lines
from shares.services.register import MOVEMENTS
from shares.services.verification import ReplayedHolding


def holdings_as_of(society: Society, as_of: datetime.date, *, holder: Holder | None = None) -> list[Holding]:
    """The register's holdings at the end of `as_of`, replayed from the ledger by the same rules
    as `verify_register` (shares, amount paid, dates admitted and ceased), as unsaved
    `Holding`s in the register's order (holder's name, holder, class's name). With `holder`,
    only theirs."""
    entries = LedgerEntry.objects.filter(society=society, effective_date__lte=as_of)
    if holder is not None:
        entries = entries.filter(Q(holder=holder) | Q(counterparty=holder))
    replayed: dict[tuple[int, int], ReplayedHolding] = {}
    currencies: dict[int, str] = {}
    rows = entries.order_by("sequence").values_list(
        "kind",
        "holder_id",
        "counterparty_id",
        "share_class_id",
        "shares",
        "amount",
        "amount_currency",
        "effective_date",
    )
    for kind, holder_id, counterparty_id, class_id, shares, amount, currency, on in rows.iterator(
        chunk_size=5000
    ):
        movement = MOVEMENTS[kind]
        currencies[class_id] = currency
        parties = [(holder_id, movement.holder_sign)]
        if movement.to_counterparty:
            parties.append((counterparty_id, +1))
        for party, sign in parties:
            if holder is None or party == holder.pk:
                replayed.setdefault((party, class_id), ReplayedHolding()).move(
                    sign * shares, sign * amount, on
                )
    holders = Holder.objects.in_bulk({party for party, _ in replayed})
    classes = ShareClass.objects.in_bulk({class_id for _, class_id in replayed})
    holdings = [
        Holding(
            holder=holders[party],
            share_class=classes[class_id],
            shares=state.shares,
            amount_paid=Money(state.amount, currencies[class_id]),
            first_issued_on=state.first_issued_on,
            ceased_on=state.ceased_on,
        )
        for (party, class_id), state in replayed.items()
    ]
    return sorted(holdings, key=lambda h: (h.holder.name, h.holder.pk, h.share_class.name))


def register_rows(society: Society, as_of: datetime.date | None = None) -> list[dict[str, str]]:
    """The rows of `export_register` (the same fields, values and order): the register now, or
    replayed from the ledger to the end of `as_of`."""
    if as_of is None:
        return [line.as_row() for line in register_lines(society)]
    return [RegisterLine(holding).as_row() for holding in holdings_as_of(society, as_of)]


@dataclass(frozen=True)
class ClassTotal:
    share_class: str
    holdings: int
    members: int
    shares: int
    amount_paid: Decimal


def register_totals(rows: list[dict[str, str]]) -> list[ClassTotal]:
    """Per class, from the printed rows: holdings with shares, members, shares, amount paid."""
    totals: dict[str, list] = {}
    for row in rows:
        total = totals.setdefault(row["share_class"], [0, 0, 0, Decimal("0.00")])
        shares = int(row["shares_held"])
        total[0] += shares > 0
        total[1] += row["member"] == "yes"
        total[2] += shares
        total[3] += Decimal(row["amount_paid"])
    return [ClassTotal(name, *values) for name, values in sorted(totals.items())]


def shares_held_since(holder: Holder, share_class: ShareClass, day: datetime.date) -> int:
    """How many of the holder's shares of the class they have held since `day` or before.

    Replays the holder's register entries in order, keeping the shares in the parts they came
    in (an issue or a transfer in, dated its day); anything that takes shares away takes the
    oldest first, as the returns engine counts capital."""
    parts: list[list] = []  # [shares, since], oldest first
    entries = (
        LedgerEntry.objects.filter(share_class=share_class)
        .filter(Q(holder=holder) | Q(counterparty=holder))
        .order_by("sequence")
        .values_list("kind", "holder_id", "shares", "effective_date")
    )
    for kind, holder_id, shares, on in entries:
        movement = MOVEMENTS[kind]
        coming_in = holder_id != holder.pk or movement.holder_sign > 0
        if coming_in:
            parts.append([shares, on])
            continue
        while shares and parts:
            taken = min(shares, parts[0][0])
            parts[0][0] -= taken
            shares -= taken
            if not parts[0][0]:
                parts.pop(0)
    return sum(count for count, since in parts if since <= day)
