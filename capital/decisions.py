"""The decisions a society's members and investors depend on, announced where they are taken.

Opening or allocating an offer, approving a distribution run, declaring a rate, suspending
withdrawals, giving or taking a board seat: the service that takes such a decision announces
it, inside the same transaction, with `announce_decision`. The apps below `governance` never
import it; `governance` receives `decision_taken` and writes the decision into the society's
public, tamper-evident decision record, so that a decision rolled back is never recorded and a
decision recorded was really taken. With no receiver (governance not installed) an
announcement does nothing.

A decision's `summary` is published: it says what was decided in plain words and names no
investor (board members and the society's own figures are public; holders are not).
"""

import datetime
from dataclasses import dataclass, field

import django.dispatch
from django.utils import timezone

from capital.models import Society

# Receivers get `decision`, a `Decision`. They run inside the deciding transaction: a receiver
# that fails rolls the decision back, which is what a tamper-evident record needs.
decision_taken = django.dispatch.Signal()


class Kind:
    """The decisions announced today; an app that takes a new kind adds it here."""

    OFFER_OPENED = "offer.opened"
    OFFER_ALLOCATED = "offer.allocated"
    OFFER_FAILED = "offer.failed"
    RUN_APPROVED = "run.approved"
    RATE_DECLARED = "rate.declared"
    WITHDRAWALS_SUSPENDED = "withdrawals.suspended"
    WITHDRAWALS_RESUMED = "withdrawals.resumed"
    BOARD_APPOINTED = "board.appointed"
    BOARD_REMOVED = "board.removed"
    SURPLUS_RULES_SET = "surplus.rules_set"
    SURPLUS_RUN_APPROVED = "surplus.run_approved"
    REDEMPTION_FUND_CHANGED = "redemption_fund.changed"


@dataclass(frozen=True)
class Decision:
    society: Society
    kind: str
    summary: str
    actor: object | None = None  # the user who decided; None for the system (a command)
    decided_on: datetime.date = field(default_factory=timezone.localdate)
    data: dict = field(default_factory=dict)  # plain JSON values: ids, amounts as strings


def announce_decision(
    *, society: Society, kind: str, summary: str, actor=None, decided_on=None, **data
) -> None:
    """Tell whoever records decisions that `society` took one. Call it inside the transaction
    that takes the decision, after the decision's own writes."""
    decision_taken.send(
        sender=Decision,
        decision=Decision(
            society=society,
            kind=kind,
            summary=summary,
            actor=actor,
            decided_on=decided_on or timezone.localdate(),
            data=data,
        ),
    )
