"""Reading the register for a distribution run: capital at the year end, and what earlier
runs carried forward. Read-only; `investors.services.runs` does the deciding."""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Max, Q, Sum

from capital.models import ShareClass, Society
from capital.returns import HolderState, Holding, Status
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
    """One engine holding per holding of the class with capital at the year end, in register
    order (the holding's id), carrying the state earlier approved runs left it in.

    A holding that was capped or redeemed keeps the capital its cap was counted on (its shares
    are gone from the register) so that its line still shows; a holding with no capital at
    the year end (not issued yet, or all withdrawn) has no line.
    """
    capital = _capital_at(share_class, ends_on)
    carried, ended_capital = carried_states(share_class, year)
    holdings, holders = [], {}
    rows = RegisterHolding.objects.filter(share_class=share_class).order_by("pk")
    for pk, holder_id, first_issued_on in rows.values_list("pk", "holder_id", "first_issued_on"):
        ref = str(pk)
        state = carried.get(ref)
        if state is not None and state.status != Status.ACTIVE:
            amount = ended_capital[ref]
        else:
            amount = capital.get(holder_id, Decimal("0"))
        if amount <= 0:
            continue
        holdings.append(Holding(ref=ref, capital=amount, issued_on=first_issued_on, register_order=pk))
        holders[ref] = holder_id
    return RegisterInput(holdings=holdings, states=carried, holders=holders)


def _capital_at(share_class: ShareClass, ends_on: datetime.date) -> dict[int, Decimal]:
    """Each holder's paid-up capital in the class at `ends_on`: the ledger's signed amounts,
    summed by the database in one grouped query and folded by the register's own movements."""
    totals = (
        LedgerEntry.objects.filter(share_class=share_class, effective_date__lte=ends_on)
        .values_list("kind", "holder_id", "counterparty_id")
        .annotate(total=Sum("amount"))
        .order_by()
    )
    capital: dict[int, Decimal] = {}
    for kind, holder_id, counterparty_id, total in totals:
        movement = MOVEMENTS[kind]
        capital[holder_id] = capital.get(holder_id, Decimal("0")) + movement.holder_sign * total
        if movement.to_counterparty:
            capital[counterparty_id] = capital.get(counterparty_id, Decimal("0")) + total
    return capital


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
