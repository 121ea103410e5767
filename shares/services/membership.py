"""Membership and voting: one member, one vote, however many shares."""

import datetime
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Q, Sum

from capital.models import Society
from shares.models import Holder, LedgerEntry

Kind = LedgerEntry.Kind


@dataclass(frozen=True)
class Voter:
    holder: Holder
    weight: int = 1


def balances_as_of(society: Society, as_of: datetime.date, share_classes) -> dict[tuple[int, int], int]:
    """Shares held per (holder id, share class id) at the end of `as_of`, replayed from the ledger."""
    entries = LedgerEntry.objects.filter(
        society=society, share_class__in=share_classes, effective_date__lte=as_of
    )
    balances: dict[tuple[int, int], int] = defaultdict(int)
    signed = (
        (Q(kind=Kind.ISSUE), "holder", +1),
        (Q(kind__in=[Kind.WITHDRAWAL, Kind.REDEMPTION, Kind.CANCELLATION, Kind.TRANSFER]), "holder", -1),
        (Q(kind=Kind.TRANSFER), "counterparty", +1),
    )
    for condition, party, sign in signed:
        rows = entries.filter(condition).values(party, "share_class").annotate(total=Sum("shares"))
        for row in rows:
            balances[(row[party], row["share_class"])] += sign * row["total"]
    return balances


def voting_roll(society: Society, as_of: datetime.date) -> list[Voter]:
    """Every member on `as_of`, once each with weight 1, and nobody who is not a member.

    A member holds at least the minimum of some membership class; investor classes never
    confer membership (a database constraint), so an investor-only holder never appears. A
    member who has died is no longer one from the day of their death, though their shares stay
    on the register until they pass to someone else.
    """
    membership_classes = {
        share_class.pk: share_class for share_class in society.share_classes.filter(confers_membership=True)
    }
    balances = balances_as_of(society, as_of, membership_classes.values())
    member_ids = {
        holder_id
        for (holder_id, class_id), shares in balances.items()
        if shares >= membership_classes[class_id].membership_minimum_shares
    }
    members = Holder.objects.filter(pk__in=member_ids).exclude(died_on__lte=as_of)
    return [Voter(holder=holder) for holder in members.order_by("name", "pk")]
