"""Checking the register against itself: the hash chain, the numbering and the holdings."""

from collections import defaultdict
from dataclasses import dataclass, field

from capital.models import Society
from shares.models import Holding, LedgerEntry
from shares.services.register import MOVEMENTS


@dataclass
class RegisterCheck:
    society: Society
    entries_checked: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def verify_register(society: Society) -> RegisterCheck:
    """Recompute the chain and the holdings; report the first entry that does not match.

    Reads the ledger in order with an iterator so that a large register is checked in
    constant memory (holdings aside).
    """
    check = RegisterCheck(society=society)
    expected_previous = LedgerEntry.GENESIS_HASH
    replayed: dict[tuple[int, int], list] = defaultdict(lambda: [0, 0])
    entries = LedgerEntry.objects.filter(society=society).order_by("sequence")
    for expected_sequence, entry in enumerate(entries.iterator(chunk_size=2000), start=1):
        check.entries_checked += 1
        if entry.sequence != expected_sequence:
            check.problems.append(
                f"Entry #{entry.sequence}: expected #{expected_sequence}; "
                f"entries are missing or out of order."
            )
            return check
        if entry.previous_hash != expected_previous:
            check.problems.append(
                f"Entry #{entry.sequence}: its previous hash does not match entry #{entry.sequence - 1}."
            )
            return check
        if entry.compute_hash() != entry.entry_hash:
            check.problems.append(f"Entry #{entry.sequence}: its content does not match its hash.")
            return check
        expected_previous = entry.entry_hash
        movement = MOVEMENTS[entry.kind]
        _replay(replayed, entry.holder_id, entry.share_class_id, movement.holder_sign, entry)
        if movement.to_counterparty:
            _replay(replayed, entry.counterparty_id, entry.share_class_id, +1, entry)

    holdings = Holding.objects.filter(share_class__society=society).select_related("holder", "share_class")
    seen = set()
    for holding in holdings.order_by("pk"):
        key = (holding.holder_id, holding.share_class_id)
        seen.add(key)
        shares, amount = replayed.get(key, (0, 0))
        if (holding.shares, holding.amount_paid.amount) != (shares, amount):
            check.problems.append(
                f"Holding of {holding.holder} in {holding.share_class.name}: the register says "
                f"{shares} shares ({amount:.2f} paid) but the holding says "
                f"{holding.shares} ({holding.amount_paid.amount:.2f})."
            )
    for key, (shares, _amount) in replayed.items():
        if key not in seen and shares:
            check.problems.append(
                f"Holder #{key[0]} has {shares} shares of class #{key[1]} in the ledger but no holding."
            )
    return check


def _replay(replayed, holder_id, share_class_id, sign, entry) -> None:
    totals = replayed[(holder_id, share_class_id)]
    totals[0] += sign * entry.shares
    totals[1] += sign * entry.amount.amount
