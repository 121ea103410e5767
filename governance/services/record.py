"""Writing the society's decision record: every decision, in the transaction that takes it."""

from django.db import transaction
from django.utils import timezone

from capital.decisions import Decision
from capital.models import Society
from governance.models import DecisionEntry
from shares.chain import append, head_of, lock_chain


def decided_by_name(actor) -> str:
    if actor is None:
        return ""
    return actor.get_full_name() or actor.get_username()


def record(
    *, society: Society, kind: str, summary: str, decided_on, decided_by: str = "", question=None, data=None
):
    """Append one decision to `society`'s record, under the chain's lock, and return it. Runs in
    the caller's transaction: if it rolls back, nothing is recorded."""
    with transaction.atomic():
        lock_chain(society)
        entry = DecisionEntry(
            society=society,
            kind=kind,
            summary=summary,
            decided_on=decided_on,
            decided_by=decided_by,
            question=question,
            data=data or {},
            recorded_at=timezone.now(),
        )
        return append(entry, chain=DecisionEntry.objects.filter(society=society))


def record_announced(sender, decision: Decision, **kwargs) -> DecisionEntry:
    """`capital.decisions.decision_taken`'s receiver: the board's decision goes into the record."""
    return record(
        society=decision.society,
        kind=decision.kind,
        summary=decision.summary,
        decided_on=decision.decided_on,
        decided_by=decided_by_name(decision.actor),
        data=decision.data,
    )


def chain_head(society: Society):
    return head_of(DecisionEntry.objects.filter(society=society))
