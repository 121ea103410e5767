"""Append-only, hash-chained records: the share register and the decision record share this.

A chain is the entries of one model that belong to one society, numbered 1, 2, 3… without
gaps. Each entry carries the SHA-256 of its canonical content (sorted-key, compact JSON of
what `chain_content` returns, plus the previous entry's hash), so that changing, removing or
reordering any entry breaks every hash after it; publishing the head (`sequence:hash`) also
catches the newest entries being cut off or the whole chain rewritten.

- `ChainedEntry` is the abstract model: the sequence and both hashes, and the guard that refuses
  to change or delete an entry (in the model and in its queryset). The PostgreSQL trigger
  (`append_only_trigger`) refuses it in the database too.
- `link` chains a batch of new entries in memory after a head (nothing is written), for
  `append` (one entry) and `append_all` (a batch, in one `bulk_create`). Both must run inside
  the transaction that holds the chain's lock (`lock_chain`: the society's row), so that two
  writers can never take the same number.
- `walk` checks a chain entry by entry as it is read, in constant memory.
"""

import hashlib
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass

from django.db import connection, migrations, models

from capital.errors import Refusal
from capital.models import Society

GENESIS_HASH = "0" * 64


def canonical_json(content: dict) -> bytes:
    """The exact bytes an entry's hash covers: sorted keys, no spaces, UTF-8 with escapes."""
    return json.dumps(content, sort_keys=True, separators=(",", ":")).encode()


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class ChainHead:
    """The last entry of a chain (sequence 0 and the genesis hash for an empty one)."""

    sequence: int = 0
    entry_hash: str = GENESIS_HASH

    def __str__(self) -> str:
        """`sequence:hash`: publish it, and later check that the chain still has it."""
        return f"{self.sequence}:{self.entry_hash}"

    @classmethod
    def parse(cls, text: str) -> "ChainHead | None":
        """A head as printed (`SEQUENCE:HASH`), or None if `text` is not one."""
        sequence, _, entry_hash = text.strip().partition(":")
        if not sequence.isdigit() or len(entry_hash) != 64:
            return None
        return cls(int(sequence), entry_hash)


class AppendOnlyQuerySet(models.QuerySet):
    """No bulk change or delete of a chain's entries (`bulk_update` goes through `update`)."""

    def update(self, **kwargs):
        raise self.model.append_only_error(self.model.append_only_message("changed"))

    def delete(self):
        raise self.model.append_only_error(self.model.append_only_message("deleted"))


class ChainedEntry(models.Model):
    """One entry of an append-only chain. A concrete model adds its society, its own fields, a
    unique (society, sequence) constraint, `chain_content()` and what to say when refused."""

    # What a refusal says: "<append_only_what> cannot be changed." / "… deleted."
    append_only_what: str = "The record is append-only: its entries"
    append_only_error: type[Refusal] = Refusal

    sequence = models.PositiveIntegerField()
    previous_hash = models.CharField(max_length=64)
    entry_hash = models.CharField(max_length=64, unique=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise self.append_only_error(self.append_only_message("changed"))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise self.append_only_error(self.append_only_message("deleted"))

    @classmethod
    def append_only_message(cls, verb: str) -> str:
        return f"{cls.append_only_what} cannot be {verb}."

    def chain_content(self) -> dict:
        """Every field the hash covers (plain JSON values, the sequence included), except the
        previous hash, which `canonical_content` adds. Changing it breaks existing chains."""
        raise NotImplementedError

    def canonical_content(self) -> bytes:
        return canonical_json({**self.chain_content(), "previous_hash": self.previous_hash})

    def compute_hash(self) -> str:
        return sha256_hex(self.canonical_content())


# --- Writing -----------------------------------------------------------------------------------------


def lock_chain(society: Society) -> Society:
    """Take the lock that serialises writers of the society's chains (its row), in the current
    transaction; returns the locked row."""
    return Society.objects.select_for_update().get(pk=society.pk)


def head_of(chain: models.QuerySet) -> ChainHead:
    """The head of `chain` (one society's entries of one model) as stored now."""
    last = chain.order_by("-sequence").values_list("sequence", "entry_hash").first()
    return ChainHead(*last) if last else ChainHead()


def link(entries: Sequence[ChainedEntry], *, after: ChainHead) -> ChainHead:
    """Number and chain `entries`, in order, after `after`, in memory; returns the new head.

    Every other field an entry's content covers must be set first (timestamps included).
    """
    head = after
    for entry in entries:
        entry.sequence = head.sequence + 1
        entry.previous_hash = head.entry_hash
        entry.entry_hash = entry.compute_hash()
        head = ChainHead(entry.sequence, entry.entry_hash)
    return head


def _require_transaction() -> None:
    if not connection.in_atomic_block:
        raise RuntimeError("Append to a chain inside the transaction that holds its lock (lock_chain).")


def append(entry: ChainedEntry, *, chain: models.QuerySet) -> ChainedEntry:
    """Save `entry` as the next entry of `chain`. The caller holds the chain's lock."""
    _require_transaction()
    link([entry], after=head_of(chain))
    entry.save(force_insert=True)
    return entry


def append_all(
    entries: Sequence[ChainedEntry], *, chain: models.QuerySet, batch_size: int = 2000
) -> ChainHead:
    """Save `entries`, in order, as the next entries of `chain`, in bulk; returns the new head.
    The caller holds the chain's lock."""
    _require_transaction()
    head = link(entries, after=head_of(chain))
    chain.model.objects.bulk_create(entries, batch_size=batch_size)
    return head


# --- Checking ----------------------------------------------------------------------------------------


@dataclass
class ChainCheck:
    """What `walk` found: how many entries it read, the last good head, the first problem."""

    entries_checked: int = 0
    head: ChainHead = ChainHead()
    problem: str | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None


def walk(
    entries: Iterable[ChainedEntry],
    check: ChainCheck,
    *,
    also: Callable[[ChainedEntry], str | None] = lambda entry: None,
) -> Iterator[ChainedEntry]:
    """Yield each entry of a chain (read in sequence order) whose number, link and hash are
    right; at the first that is not, note the problem in `check` and stop. `also` checks what
    the model adds (say, a known kind) before the hashes."""
    for expected, entry in enumerate(entries, start=1):
        check.entries_checked += 1
        problem = _problem(entry, expected, check.head.entry_hash, also)
        if problem:
            check.problem = f"Entry #{entry.sequence}: {problem}"
            return
        check.head = ChainHead(entry.sequence, entry.entry_hash)
        yield entry


def _problem(entry, expected_sequence: int, previous_hash: str, also) -> str | None:
    if entry.sequence != expected_sequence:
        return f"expected #{expected_sequence}; entries are missing or out of order."
    problem = also(entry)
    if problem:
        return problem
    if entry.previous_hash != previous_hash:
        return f"its previous hash does not match entry #{entry.sequence - 1}."
    if entry.compute_hash() != entry.entry_hash:
        return "its content does not match its hash."
    return None


def expected_head_problem(chain: models.QuerySet, expected: str, *, what: str) -> str | None:
    """Whether `chain` still carries a head published earlier (`SEQUENCE:HASH`); `what` names
    the chain in the message ("register")."""
    head = ChainHead.parse(expected)
    if head is None:
        return f"{expected!r} is not a {what} head (SEQUENCE:HASH)."
    stored = chain.filter(sequence=head.sequence).values_list("entry_hash", flat=True).first()
    if stored != head.entry_hash:
        return (
            f"Entry #{head.sequence} no longer carries the published hash {head.entry_hash[:16]}…: "
            f"the {what} was cut short or rewritten."
        )
    return None


# --- The database's own refusal ------------------------------------------------------------------------


def append_only_trigger(*, table: str, function: str, what: str) -> migrations.RunPython:
    """A migration operation: on PostgreSQL, a trigger refusing any UPDATE or DELETE of `table`'s
    rows with "<what> cannot be changed/deleted." (SQLite relies on the model and queryset
    guards: a trigger there would also fire on the test runner's table flushes.)"""
    what = what.replace("'", "''").replace("%", "%%")
    create = f"""
CREATE OR REPLACE FUNCTION {function}() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '{what} cannot be %.',
        CASE TG_OP WHEN 'UPDATE' THEN 'changed' ELSE 'deleted' END USING ERRCODE = 'restrict_violation';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER {function}
    BEFORE UPDATE OR DELETE ON {table}
    FOR EACH ROW EXECUTE FUNCTION {function}();
"""
    drop = f"""
DROP TRIGGER IF EXISTS {function} ON {table};
DROP FUNCTION IF EXISTS {function}();
"""

    def on_postgresql(sql):
        def run(apps, schema_editor):
            if schema_editor.connection.vendor == "postgresql":
                schema_editor.execute(sql, params=None)

        return run

    return migrations.RunPython(on_postgresql(create), on_postgresql(drop))
