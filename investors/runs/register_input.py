"""Reading the register for a distribution run: capital at the year end, and what earlier
runs carried forward. Read-only; `investors.runs.services` does the deciding."""

import datetime
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Max, Q, Sum

from capital.bulk import plain_rows
from capital.models import ShareClass, Society
from capital.returns import HolderState, Holding, Status, Tranche
from investors.models import DistributionLine, DistributionRun
from shares.models import Holding as RegisterHolding
from shares.models import LedgerEntry
from shares.services.register import MOVEMENTS

State = DistributionRun.State
LineStatus = DistributionLine.Status


def ledger_head(society: Society) -> int:
    return LedgerEntry.objects.filter(society=society).aggregate(head=Max("sequence"))["head"] or 0


@dataclass(frozen=True)
class RegisterInput:
    """The register as the engine sees it for one year: holdings (ref = the holding's id), what
    each carries from earlier approved runs, and whom each holding belongs to."""

    holdings: list[Holding]
    states: dict[str, HolderState]
    holders: dict[str, int]


def read_register(*, share_class: ShareClass, year: int, ends_on: datetime.date) -> RegisterInput:
    """One engine holding per holding of the class with capital at the year end (in the parts it
    was issued in, so days are counted per part), in register order (the holding's id),
    carrying the state earlier approved runs left it in.

    A holding that was capped or redeemed keeps the capital its cap was counted on (its shares
    are gone from the register) so that its line still shows; a holding with no capital at
    the year end (not issued yet, or all withdrawn) has no line.
    """
    parts_by_holder = _parts_at(share_class, ends_on)
    carried, ended_capital = carried_states(share_class, year)
    holdings, holders = [], {}
    rows = RegisterHolding.objects.filter(share_class=share_class).order_by("pk")
    for pk, holder_id, first_issued_on in plain_rows(rows.values_list("pk", "holder_id", "first_issued_on")):
        ref = str(pk)
        state = carried.get(ref)
        tranches = ()
        if state is not None and state.status != Status.ACTIVE:
            amount, issued_on = ended_capital[ref], first_issued_on
        else:
            parts = parts_by_holder.get(holder_id)
            if not parts:
                continue
            if len(parts) == 1:  # most holdings: one part, whose days are the holding's
                amount, issued_on = parts[0]
            else:
                tranches = tuple(Tranche(capital, issued_on) for capital, issued_on in parts)
                amount = sum((capital for capital, _ in parts), Decimal("0"))
                issued_on = min(issued_on for _, issued_on in parts)
        if amount <= 0:
            continue
        holdings.append(
            Holding(ref=ref, capital=amount, issued_on=issued_on, register_order=pk, tranches=tranches)
        )
        holders[ref] = holder_id
    return RegisterInput(holdings=holdings, states=carried, holders=holders)


Part = tuple[Decimal, datetime.date]  # capital, and the day it was issued


def _parts_at(share_class: ShareClass, ends_on: datetime.date) -> dict[int, list[Part]]:
    """Each holder's paid-up capital in the class at `ends_on`, in the parts it was issued in
    (capital, issue date).

    Replays the ledger in order: an issue or a transfer in adds a part dated that day; a
    withdrawal, redemption, cancellation or transfer out takes capital from the oldest parts
    first (first in, first out).
    """
    entries = (
        LedgerEntry.objects.filter(share_class=share_class, effective_date__lte=ends_on)
        .order_by("sequence")
        .values_list("kind", "holder_id", "counterparty_id", "amount", "effective_date")
    )
    adding = {kind for kind, movement in MOVEMENTS.items() if movement.holder_sign > 0}
    passing_on = {kind for kind, movement in MOVEMENTS.items() if movement.to_counterparty}
    parts: dict[int, list[Part]] = defaultdict(list)
    for kind, holder_id, counterparty_id, amount, effective_date in plain_rows(entries):
        if kind in adding:
            parts[holder_id].append((amount, effective_date))
            continue
        _take_oldest(parts[holder_id], amount)
        if kind in passing_on:
            parts[counterparty_id].append((amount, effective_date))
    return parts


def _take_oldest(parts: list[Part], amount: Decimal) -> None:
    while amount > 0 and parts:
        capital, issued_on = parts[0]
        if capital <= amount:
            amount -= capital
            parts.pop(0)
        else:
            parts[0] = (capital - amount, issued_on)
            amount = Decimal("0")


def carried_states(share_class: ShareClass, year: int) -> tuple[dict[str, HolderState], dict[str, Decimal]]:
    """What each holding was paid and repaid in the class's approved runs before `year`, and
    whether one of them capped or redeemed it (then also the capital that was counted on)."""
    rows = (
        DistributionLine.objects.filter(
            run__share_class=share_class, run__state__in=DistributionRun.DECIDED, run__year__lt=year
        )
        .values("holding_id")
        .annotate(
            paid_so_far=Sum("paid"),
            redeemed_so_far=Sum("redeemed"),
            capped=Count("pk", filter=Q(status=LineStatus.CAPPED)),
            redeemed_lines=Count("pk", filter=Q(status=LineStatus.REDEEMED)),
            ended_capital=Max("capital", filter=~Q(status=LineStatus.ACTIVE)),
        )
        .order_by()
        .values_list(
            "holding_id", "paid_so_far", "redeemed_so_far", "capped", "redeemed_lines", "ended_capital"
        )
    )
    states, ended_capital = {}, {}
    for holding_id, paid, redeemed, capped, redeemed_lines, ended in plain_rows(rows):
        ref = str(holding_id)
        if redeemed_lines or capped:
            status = Status.REDEEMED if redeemed_lines else Status.CAPPED
            ended_capital[ref] = ended
        else:
            status = Status.ACTIVE
        states[ref] = HolderState(paid=paid, redeemed=redeemed, status=status)
    return states, ended_capital
