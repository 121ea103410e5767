"""The decision record: every board decision announced is recorded in the same transaction,
chained with the register's mechanism, and can never be changed or deleted."""

import pytest
from django.db import transaction

from capital.decisions import Kind, announce_decision
from capital.services import appoint_board_member
from governance.errors import GovernanceError
from governance.models import DecisionEntry
from governance.services.record import chain_head
from shares.chain import ChainCheck, walk
from tests import factories


def test_a_board_decision_is_recorded_with_who_took_it(society, director):
    new_director = factories.UserFactory(first_name="Ada", last_name="Lovelace")
    appoint_board_member(society=society, user=new_director, role="director", by=director)

    entry = DecisionEntry.objects.filter(society=society).last()
    assert entry.kind == Kind.BOARD_APPOINTED
    assert "Lovelace" in entry.summary
    assert entry.decided_by == (director.get_full_name() or director.get_username())
    assert entry.data == {"role": "director", "user": new_director.pk}
    assert chain_head(society).entry_hash == entry.entry_hash


def test_a_decision_rolled_back_is_not_recorded(society):
    before = DecisionEntry.objects.filter(society=society).count()
    with pytest.raises(RuntimeError), transaction.atomic():
        announce_decision(society=society, kind=Kind.WITHDRAWALS_SUSPENDED, summary="Suspended.")
        assert DecisionEntry.objects.filter(society=society).count() == before + 1
        raise RuntimeError("the decision failed")
    assert DecisionEntry.objects.filter(society=society).count() == before


def test_entries_are_numbered_per_society_and_chained(society):
    other = factories.SocietyFactory()
    for n in range(3):
        announce_decision(society=society, kind=Kind.RATE_DECLARED, summary=f"Rate {n}.", rate="3.00")
    announce_decision(society=other, kind=Kind.RATE_DECLARED, summary="Other.")

    entries = list(DecisionEntry.objects.filter(society=society).order_by("sequence"))
    assert [e.sequence for e in entries][-3:] == [len(entries) - 2, len(entries) - 1, len(entries)]
    check = ChainCheck()
    assert len(list(walk(entries, check))) == len(entries)
    assert check.ok
    assert DecisionEntry.objects.get(society=other).sequence == 1


def test_an_entry_cannot_be_changed_or_deleted(society):
    announce_decision(society=society, kind=Kind.RATE_DECLARED, summary="Rate 3%.")
    entry = DecisionEntry.objects.get(society=society, summary="Rate 3%.")
    entry.summary = "Rate 9%."
    with pytest.raises(GovernanceError, match="append-only"):
        entry.save()
    with pytest.raises(GovernanceError, match="append-only"):
        entry.delete()
    with pytest.raises(GovernanceError, match="append-only"):
        DecisionEntry.objects.filter(society=society).update(summary="x")


def test_a_changed_entry_breaks_the_chain(society):
    for n in range(3):
        announce_decision(society=society, kind=Kind.RATE_DECLARED, summary=f"Rate {n}.")
    entries = list(DecisionEntry.objects.filter(society=society).order_by("sequence"))
    entries[-2].summary = "Rate 99."
    check = ChainCheck()
    list(walk(entries, check))
    assert check.problem == f"Entry #{entries[-2].sequence}: its content does not match its hash."
