"""The register: append-only, numbered without gaps, hash-chained, with holdings derived from it."""

import datetime
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError, transaction

from shares.errors import RegisterError
from shares.models import Holding, LedgerEntry
from shares.services.exemptions import record_limit_exemption
from shares.services.register import remove_shares, transfer_shares
from shares.services.verification import verify_register
from tests import factories
from tests.builders import issue
from tests.conftest import run_raw_sql
from tests.factories import gbp
from tests.register_helpers import delete_entry, tamper

Kind = LedgerEntry.Kind

REGISTER_DAY = datetime.date(2025, 4, 1)


def test_entries_are_numbered_without_gaps_and_chained(society, community_class):
    holders = factories.HolderFactory.create_batch(3)
    entries = [
        issue(holder=holder, share_class=community_class, shares=100, on=REGISTER_DAY) for holder in holders
    ]
    assert [entry.sequence for entry in entries] == [1, 2, 3]
    assert entries[0].previous_hash == LedgerEntry.GENESIS_HASH
    assert entries[1].previous_hash == entries[0].entry_hash
    assert entries[2].previous_hash == entries[1].entry_hash
    assert all(entry.entry_hash == entry.compute_hash() for entry in entries)


def test_each_society_has_its_own_numbering(community_class, holder):
    other_class = factories.CommunityClassFactory()
    issue(holder=holder, share_class=community_class, shares=10, on=REGISTER_DAY)
    entry = issue(holder=holder, share_class=other_class, shares=10, on=REGISTER_DAY)
    assert entry.sequence == 1


def test_holding_follows_the_ledger_in_the_same_transaction(society, community_class, holder):
    issue(holder=holder, share_class=community_class, shares=500, on=REGISTER_DAY)
    remove_shares(
        society=society, kind=Kind.WITHDRAWAL, holder=holder, share_class=community_class, shares=200
    )
    holding = Holding.objects.get(holder=holder, share_class=community_class)
    assert (holding.shares, holding.amount_paid) == (300, gbp(300))
    assert holding.ceased_on is None


def test_removing_every_share_records_the_date_ceased(society, community_class, holder):
    issue(holder=holder, share_class=community_class, shares=50, on=REGISTER_DAY)
    remove_shares(
        society=society,
        kind=Kind.WITHDRAWAL,
        holder=holder,
        share_class=community_class,
        shares=50,
        effective_date=datetime.date(2026, 5, 1),
    )
    holding = Holding.objects.get(holder=holder, share_class=community_class)
    assert (holding.shares, holding.ceased_on) == (0, datetime.date(2026, 5, 1))


def test_cannot_take_off_more_shares_than_are_held_and_nothing_is_written(society, community_class, holder):
    issue(holder=holder, share_class=community_class, shares=50, on=REGISTER_DAY)
    with pytest.raises(RegisterError, match="holds 50"):
        remove_shares(
            society=society, kind=Kind.CANCELLATION, holder=holder, share_class=community_class, shares=51
        )
    assert LedgerEntry.objects.filter(society=society).count() == 1
    assert Holding.objects.get(holder=holder).shares == 50


def test_database_refuses_a_negative_holding(society, community_class, holder):
    issue(holder=holder, share_class=community_class, shares=5, on=REGISTER_DAY)
    with pytest.raises(IntegrityError), transaction.atomic():
        run_raw_sql("UPDATE shares_holding SET shares = -1")


def test_withdrawal_is_refused_for_a_class_that_is_not_withdrawable(society, investor_class, holder):
    issue(holder=holder, share_class=investor_class, shares=5, on=REGISTER_DAY)
    with pytest.raises(RegisterError, match="not withdrawable"):
        remove_shares(
            society=society, kind=Kind.WITHDRAWAL, holder=holder, share_class=investor_class, shares=1
        )


def test_transfer_moves_shares_and_paid_capital_between_holders(society, investor_class, holder):
    buyer = factories.HolderFactory()
    issue(holder=holder, share_class=investor_class, shares=300, on=REGISTER_DAY)
    transfer_shares(society=society, holder=holder, to=buyer, share_class=investor_class, shares=100)
    assert Holding.objects.get(holder=holder).amount_paid == gbp(200)
    assert Holding.objects.get(holder=buyer).shares == 100
    assert verify_register(society).ok


def test_transfer_refused_for_a_class_that_is_not_transferable(society, community_class, holder):
    issue(holder=holder, share_class=community_class, shares=300, on=REGISTER_DAY)
    with pytest.raises(RegisterError, match="not transferable"):
        transfer_shares(
            society=society,
            holder=holder,
            to=factories.HolderFactory(),
            share_class=community_class,
            shares=1,
        )


def test_class_maximum_holding_is_enforced_by_the_register(society, holder):
    capped = factories.CommunityClassFactory(society=society, name="Capped", maximum_holding_shares=100)
    issue(holder=holder, share_class=capped, shares=100, on=REGISTER_DAY)
    with pytest.raises(RegisterError, match="most one holder may hold is 100"):
        issue(holder=holder, share_class=capped, shares=1, on=REGISTER_DAY)


def test_ledger_entries_cannot_be_changed_or_deleted_through_the_orm(society, community_class, holder):
    entry = issue(holder=holder, share_class=community_class, shares=10, on=REGISTER_DAY)
    entry.shares = 1000
    with pytest.raises(RegisterError, match="append-only"):
        entry.save()
    with pytest.raises(RegisterError, match="append-only"):
        entry.delete()
    with pytest.raises(RegisterError, match="append-only"):
        LedgerEntry.objects.filter(pk=entry.pk).update(shares=1000)
    with pytest.raises(RegisterError, match="append-only"):
        LedgerEntry.objects.all().delete()
    assert LedgerEntry.objects.get(pk=entry.pk).shares == 10


@pytest.fixture
def register_with_entries(society, community_class):
    holders = factories.HolderFactory.create_batch(3)
    for shares, holder in zip((100, 200, 300), holders, strict=True):
        issue(holder=holder, share_class=community_class, shares=shares, on=REGISTER_DAY)
    return society


def test_verify_register_passes_an_untouched_register(register_with_entries):
    check = verify_register(register_with_entries)
    assert check.ok and check.entries_checked == 3


def test_verify_register_names_the_entry_whose_content_was_changed(register_with_entries):
    tamper("UPDATE shares_ledgerentry SET shares = 999 WHERE sequence = 2")
    check = verify_register(register_with_entries)
    assert check.problems[0] == "Entry #2: its content does not match its hash."


def test_verify_register_notices_a_deleted_entry(register_with_entries):
    delete_entry(2)
    assert verify_register(register_with_entries).problems[0].startswith("Entry #3: expected #2")


def test_verify_register_notices_a_rehashed_entry_that_breaks_the_chain(register_with_entries):
    entry = LedgerEntry.objects.get(society=register_with_entries, sequence=2)
    entry.shares = 999
    tamper(
        "UPDATE shares_ledgerentry SET shares = 999, entry_hash = %s WHERE id = %s",
        [entry.compute_hash(), entry.pk],
    )
    assert verify_register(register_with_entries).problems[0].startswith("Entry #3: its previous hash")


def test_verify_register_notices_a_holding_that_disagrees_with_the_ledger(register_with_entries):
    run_raw_sql("UPDATE shares_holding SET shares = shares + 1 WHERE shares = 100")
    problems = verify_register(register_with_entries).problems
    assert len(problems) == 1 and "the register says 100 shares" in problems[0]


def test_verify_register_command_exits_non_zero_naming_the_first_bad_entry(register_with_entries):
    out, err = io.StringIO(), io.StringIO()
    call_command("verify_register", register_with_entries.slug, stdout=out, stderr=err)
    assert "register intact (3 entries)" in out.getvalue()
    tamper("UPDATE shares_ledgerentry SET reference = 'forged' WHERE sequence = 1")
    with pytest.raises(CommandError, match=register_with_entries.slug):
        call_command("verify_register", stdout=out, stderr=err)
    assert "Entry #1: its content does not match its hash." in err.getvalue()


def test_verify_register_command_refuses_an_unknown_society(db):
    with pytest.raises(CommandError, match="No society has the slug 'nope'"):
        call_command("verify_register", "nope")


def test_verify_register_notices_an_edited_date_admitted(register_with_entries):
    run_raw_sql("UPDATE shares_holding SET first_issued_on = '2020-01-01' WHERE shares = 200")
    problems = verify_register(register_with_entries).problems
    assert len(problems) == 1 and "since 2025-04-01" in problems[0] and "since 2020-01-01" in problems[0]


def test_a_published_head_catches_the_newest_entries_being_removed(register_with_entries):
    head = verify_register(register_with_entries).head
    assert head.startswith("3:")
    delete_entry(3)
    run_raw_sql("DELETE FROM shares_holding WHERE shares = 300")
    assert verify_register(register_with_entries).ok  # the chain alone cannot tell
    problems = verify_register(register_with_entries, expected_head=head).problems
    assert problems == [
        f"Entry #3 no longer carries the published hash {head[2:18]}…: "
        "the register was cut short or rewritten."
    ]


def test_verify_register_command_prints_the_head_and_checks_an_expected_one(register_with_entries):
    out = io.StringIO()
    call_command("verify_register", register_with_entries.slug, stdout=out)
    head = out.getvalue().split("head ")[1].strip()
    call_command("verify_register", register_with_entries.slug, "--expect-head", head, stdout=io.StringIO())
    with pytest.raises(CommandError):
        call_command(
            "verify_register",
            register_with_entries.slug,
            "--expect-head",
            "2:" + "f" * 64,
            stderr=io.StringIO(),
        )


def test_the_register_refuses_an_issue_past_the_statutory_limit(society, community_class, holder):
    issue(holder=holder, share_class=community_class, shares=100000, on=REGISTER_DAY)
    with pytest.raises(RegisterError, match="the law allows £100,000.00"):
        issue(holder=holder, share_class=community_class, shares=1, on=REGISTER_DAY)
    co_op = factories.HolderFactory(kind="organisation", date_of_birth=None, organisation_number="RS1")
    record_limit_exemption(society=society, registration_number="RS1", evidence="MPR entry seen")
    issue(holder=co_op, share_class=community_class, shares=150000, on=REGISTER_DAY)
    assert Holding.objects.get(holder=co_op).shares == 150000


def test_a_person_needs_a_date_of_birth(db):
    with pytest.raises(IntegrityError), transaction.atomic():
        factories.HolderFactory(date_of_birth=None)
    assert factories.HolderFactory(kind="organisation", date_of_birth=None).pk
