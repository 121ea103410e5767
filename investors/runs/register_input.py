"""Reading the register for a distribution run: capital at the year end, and what earlier
runs carried forward. Read-only; `investors.runs.services` does the deciding."""

import datetime
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Max, Q, Sum

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
    parts_by_holder = _tranches_at(share_class, ends_on)
    carried, ended_capital = carried_states(share_class, year)
    holdings, holders = [], {}
    rows = RegisterHolding.objects.filter(share_class=share_class).order_by("pk")
    for pk, holder_id, first_issued_on in rows.values_list("pk", "holder_id", "first_issued_on"):
        ref = str(pk)
        state = carried.get(ref)
        if state is not None and state.status != Status.ACTIVE:
            amount, parts = ended_capital[ref], ()
        else:
            parts = tuple(parts_by_holder.get(holder_id, ()))
            amount = sum((part.capital for part in parts), Decimal("0"))
        if amount <= 0:
            continue
        issued_on = min((part.issued_on for part in parts), default=first_issued_on)
        holdings.append(
            Holding(ref=ref, capital=amount, issued_on=issued_on, register_order=pk, tranches=parts)
        )
        holders[ref] = holder_id
    return RegisterInput(holdings=holdings, states=carried, holders=holders)


def _tranches_at(share_class: ShareClass, ends_on: datetime.date) -> dict[int, list[Tranche]]:
    """Each holder's paid-up capital in the class at `ends_on`, in the parts it was issued in.

    Replays the ledger in order: an issue or a transfer in adds a part dated that day; a
    withdrawal, redemption, cancellation or transfer out takes capital from the oldest parts
    first (first in, first out).
    """
    entries = (
        LedgerEntry.objects.filter(share_class=share_class, effective_date__lte=ends_on)
        .order_by("sequence")
        .values_list("kind", "holder_id", "counterparty_id", "amount", "effective_date")
    )
    parts: dict[int, list[Tranche]] = defaultdict(list)
    for kind, holder_id, counterparty_id, amount, effective_date in entries.iterator(chunk_size=5000):
        movement = MOVEMENTS[kind]
        if movement.holder_sign > 0:
            parts[holder_id].append(Tranche(amount, effective_date))
            continue
        _take_oldest(parts[holder_id], amount)
        if movement.to_counterparty:
            parts[counterparty_id].append(Tranche(amount, effective_date))
    return parts


def _take_oldest(parts: list[Tranche], amount: Decimal) -> None:
    while amount > 0 and parts:
        oldest = parts[0]
        if oldest.capital <= amount:
            amount -= oldest.capital
            parts.pop(0)
        else:
            parts[0] = Tranche(oldest.capital - amount, oldest.issued_on)
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
    )
    states, ended_capital = {}, {}
    for row in rows:
        ref = str(row["holding_id"])
        status = (
            Status.REDEEMED if row["redeemed_lines"] else Status.CAPPED if row["capped"] else Status.ACTIVE
        )
        states[ref] = HolderState(paid=row["paid_so_far"], redeemed=row["redeemed_so_far"], status=status)
        if status != Status.ACTIVE:
            ended_capital[ref] = row["ended_capital"]
    return states, ended_capital
