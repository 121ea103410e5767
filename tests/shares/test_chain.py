"""The chaining mechanism the register and the decision record share (`shares.chain`): canonical
content, SHA-256 links, gap-free numbers under the society's lock, batches chained in memory,
and the walk that finds the first entry that does not match."""

import datetime

import pytest
from django.db import transaction
from django.utils import timezone
from djmoney.money import Money

from shares.chain import (
    GENESIS_HASH,
    ChainCheck,
    ChainHead,
    append,
    append_all,
    canonical_json,
    expected_head_problem,
    head_of,
    link,
    lock_chain,
    walk,
)
from shares.models import LedgerEntry
from tests import factories
from tests.builders import issue
from tests.register_helpers import tamper

DAY = datetime.date(2026, 4, 6)


def unsaved_issue(society, share_class, holder, shares=10) -> LedgerEntry:
    return LedgerEntry(
        society=society,
        kind=LedgerEntry.Kind.ISSUE,
        holder=holder,
        share_class=share_class,
        shares=shares,
        amount=share_class.nominal_value * shares,
        effective_date=DAY,
        recorded_at=timezone.now(),
    )


def test_a_ledger_entry_hashes_to_the_same_value_as_before_the_mechanism_was_shared():
    """Pinned: the hash the register stored for this content before `shares.chain` existed."""
    entry = LedgerEntry(
        society_id=7,
        sequence=3,
        kind="transfer",
        holder_id=11,
        counterparty_id=12,
        share_class_id=5,
        shares=250,
        amount=Money("250.00", "GBP"),
        effective_date=DAY,
        reference="Gift to a daughter — ‘Ffion’",
        recorded_at=datetime.datetime(2026, 4, 6, 9, 30, 0, 123456, tzinfo=datetime.UTC),
        previous_hash="ab" * 32,
    )
    assert entry.compute_hash() == "a74a7f956a351940b394f397e098de7904d1546ada9cbe219115079b88561b93"
    assert entry.canonical_content() == canonical_json({**entry.chain_content(), "previous_hash": "ab" * 32})
    assert entry.canonical_content().startswith(b'{"amount":"250.00","counterparty":12,"currency":"GBP"')


def test_link_chains_a_batch_in_memory_after_the_head_and_writes_nothing(society, community_class):
    issue(holder=factories.HolderFactory(), share_class=community_class, shares=5, on=DAY)
    head = head_of(LedgerEntry.objects.filter(society=society))
    batch = [unsaved_issue(society, community_class, factories.HolderFactory()) for _ in range(3)]

    new_head = link(batch, after=head)

    assert head.sequence == 1 and [entry.sequence for entry in batch] == [2, 3, 4]
    assert [entry.previous_hash for entry in batch] == [
        head.entry_hash,
        batch[0].entry_hash,
        batch[1].entry_hash,
    ]
    assert all(entry.entry_hash == entry.compute_hash() for entry in batch)
    assert new_head == ChainHead(4, batch[2].entry_hash)
    assert LedgerEntry.objects.count() == 1


def test_a_batch_appended_in_bulk_continues_the_chain_that_single_entries_then_follow(
    society, community_class
):
    chain = LedgerEntry.objects.filter(society=society)
    issue(holder=factories.HolderFactory(), share_class=community_class, shares=5, on=DAY)
    with transaction.atomic():
        lock_chain(society)
        head = append_all(
            [unsaved_issue(society, community_class, factories.HolderFactory()) for _ in range(4)],
            chain=chain,
        )
    assert head.sequence == 5
    after = issue(holder=factories.HolderFactory(), share_class=community_class, shares=5, on=DAY)
    assert (after.sequence, after.previous_hash) == (6, head.entry_hash)

    check = ChainCheck()
    walked = list(walk(chain.order_by("sequence"), check))
    assert check.ok and check.entries_checked == 6 and len(walked) == 6
    assert check.head == head_of(chain) == ChainHead(6, after.entry_hash)


@pytest.mark.django_db(transaction=True)
def test_appending_outside_a_transaction_is_refused():
    community_class = factories.CommunityClassFactory()
    society, holder = community_class.society, factories.HolderFactory()
    entry = unsaved_issue(society, community_class, holder)
    with pytest.raises(RuntimeError, match="inside the transaction"):
        append(entry, chain=LedgerEntry.objects.filter(society=society))
    assert not LedgerEntry.objects.exists()


def test_an_empty_chain_starts_from_the_genesis_hash(society):
    head = head_of(LedgerEntry.objects.filter(society=society))
    assert head == ChainHead(0, GENESIS_HASH) and str(head) == f"0:{GENESIS_HASH}"


def test_walk_stops_at_the_first_entry_that_does_not_match_and_keeps_the_last_good_head(
    society, community_class
):
    entries = [
        issue(holder=factories.HolderFactory(), share_class=community_class, shares=5) for _ in range(4)
    ]
    tamper("UPDATE shares_ledgerentry SET reference = 'forged' WHERE sequence = 3")
    check = ChainCheck()
    walked = list(walk(LedgerEntry.objects.filter(society=society).order_by("sequence"), check))
    assert [entry.sequence for entry in walked] == [1, 2]
    assert check.problem == "Entry #3: its content does not match its hash."
    assert check.head == ChainHead(2, entries[1].entry_hash) and not check.ok


def test_a_published_head_is_found_or_the_chain_was_cut_short(society, community_class):
    chain = LedgerEntry.objects.filter(society=society)
    entries = [
        issue(holder=factories.HolderFactory(), share_class=community_class, shares=5) for _ in range(2)
    ]
    published = str(ChainHead(2, entries[1].entry_hash))
    assert expected_head_problem(chain, published, what="register") is None
    assert "cut short or rewritten" in expected_head_problem(chain, f"3:{'c' * 64}", what="register")
    assert expected_head_problem(chain, "two:abc", what="register") == (
        "'two:abc' is not a register head (SEQUENCE:HASH)."
    )
    assert ChainHead.parse(published) == ChainHead(2, entries[1].entry_hash)
