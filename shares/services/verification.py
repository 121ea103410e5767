"""Checking the register against itself: the hash chain, the numbering and the holdings."""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from capital.models import Society
from shares.chain import ChainCheck, expected_head_problem, walk
from shares.models import Holding, LedgerEntry
from shares.services.register import MOVEMENTS


@dataclass
class RegisterCheck:
    society: Society
    chain: ChainCheck = field(default_factory=ChainCheck)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def entries_checked(self) -> int:
        return self.chain.entries_checked

    @property
    def head_sequence(self) -> int:
        return self.chain.head.sequence

    @property
    def head_hash(self) -> str:
        return self.chain.head.entry_hash

    @property
    def head(self) -> str:
        """`sequence:hash` of the last entry: publish it, and later check the register still has it."""
        return str(self.chain.head)


@dataclass
class ReplayedHolding:
    shares: int = 0
    amount: Decimal = Decimal("0")
    first_issued_on: datetime.date | None = None
    ceased_on: datetime.date | None = None

    def move(self, shares: int, amount: Decimal, on: datetime.date) -> None:
        """The same rules `record_entry` applies to a live holding."""
        before = self.shares
        self.first_issued_on = self.first_issued_on or on
        self.shares += shares
        self.amount += amount
        if self.shares == 0 and before > 0:
            self.ceased_on = on
        elif before == 0 and self.shares > 0:
            self.ceased_on = None


def verify_register(society: Society, *, expected_head: str | None = None) -> RegisterCheck:
    """Recompute the chain and the holdings; report the first entry that does not match.

    `expected_head` (`sequence:hash`, as printed by an earlier check and published) catches
    what a chain alone cannot: the newest entries removed, or the whole chain rewritten.
    Reads the ledger with an iterator so that a large register is checked in constant memory
    (holdings aside).
    """
    check = RegisterCheck(society=society)
    replayed: dict[tuple[int, int], ReplayedHolding] = {}
    ledger = LedgerEntry.objects.filter(society=society)
    entries = ledger.order_by("sequence").iterator(chunk_size=2000)
    for entry in walk(entries, check.chain, also=_unknown_kind):
        movement = MOVEMENTS[entry.kind]
        amount = entry.amount.amount
        key = (entry.holder_id, entry.share_class_id)
        replayed.setdefault(key, ReplayedHolding()).move(
            movement.holder_sign * entry.shares, movement.holder_sign * amount, entry.effective_date
        )
        if movement.to_counterparty:
            key = (entry.counterparty_id, entry.share_class_id)
            replayed.setdefault(key, ReplayedHolding()).move(entry.shares, amount, entry.effective_date)

    if check.chain.problem:
        check.problems.append(check.chain.problem)
        return check
    if expected_head:
        problem = expected_head_problem(ledger, expected_head, what="register")
        if problem:
            check.problems.append(problem)
    _check_holdings(society, replayed, check)
    return check


def _unknown_kind(entry: LedgerEntry) -> str | None:
    return None if entry.kind in MOVEMENTS else f"unknown kind {entry.kind!r}."


def _check_holdings(society, replayed, check) -> None:
    holdings = Holding.objects.filter(share_class__society=society).select_related("holder", "share_class")
    seen = set()
    for holding in holdings.order_by("pk"):
        key = (holding.holder_id, holding.share_class_id)
        seen.add(key)
        expected = replayed.get(key, ReplayedHolding())
        actual = (holding.shares, holding.amount_paid.amount, holding.first_issued_on, holding.ceased_on)
        wanted = (expected.shares, expected.amount, expected.first_issued_on, expected.ceased_on)
        if actual != wanted:
            check.problems.append(
                f"Holding of {holding.holder} in {holding.share_class.name}: the register says "
                f"{_describe(*wanted)} but the holding says {_describe(*actual)}."
            )
    for key, expected in replayed.items():
        if key not in seen:
            check.problems.append(
                f"Holder #{key[0]} has {expected.shares} shares of class #{key[1]} in the ledger "
                "but no holding."
            )


def _describe(shares, amount, first_issued_on, ceased_on) -> str:
    text = f"{shares} shares ({amount:.2f} paid) since {first_issued_on}"
    return f"{text}, ceased {ceased_on}" if ceased_on else text
