"""Many register entries at once (`record_entries`): exactly what one at a time would write —
numbers, chain, holdings, certificates — with the lock taken once and the rows written in bulk."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from shares.models import Certificate, Holding, LedgerEntry
from shares.services.register import BulkRegisterError, EntryRequest, record_entries, record_entry
from shares.services.verification import verify_register
from tests import factories
from tests.builders import issue
from tests.factories import gbp

Kind = LedgerEntry.Kind
DAY = datetime.date(2025, 4, 1)
LATER = datetime.date(2026, 4, 1)


def a_register():
    """A society with three holders already on its register, and two not yet."""
    share_class = factories.CommunityClassFactory(maximum_holding_shares=None)
    holders = factories.HolderFactory.create_batch(5)
    for holder, shares in zip(holders[:3], (100, 200, 300), strict=True):
        issue(holder=holder, share_class=share_class, shares=shares, on=DAY)
    return share_class, holders


def the_script(share_class, holders):
    """Issues to new and existing holders, partial and whole removals, a holding issued then
    cancelled and one cancelled then issued again, all in one batch."""
    a, b, c, d, e = holders
    nominal = share_class.nominal_value
    return [
        EntryRequest(
            kind=Kind.CANCELLATION, holder=a, share_class=share_class, shares=100, effective_date=LATER
        ),
        EntryRequest(
            kind=Kind.REDEMPTION, holder=b, share_class=share_class, shares=50, effective_date=LATER
        ),
        EntryRequest(
            kind=Kind.ISSUE,
            holder=c,
            share_class=share_class,
            shares=7,
            amount=nominal * 7,
            effective_date=LATER,
        ),
        EntryRequest(
            kind=Kind.ISSUE,
            holder=d,
            share_class=share_class,
            shares=40,
            amount=nominal * 40,
            effective_date=LATER,
        ),
        EntryRequest(
            kind=Kind.CANCELLATION, holder=d, share_class=share_class, shares=40, effective_date=LATER
        ),
        EntryRequest(
            kind=Kind.ISSUE,
            holder=a,
            share_class=share_class,
            shares=5,
            amount=nominal * 5,
            effective_date=LATER,
        ),
        EntryRequest(
            kind=Kind.ISSUE,
            holder=e,
            share_class=share_class,
            shares=9,
            amount=nominal * 9,
            effective_date=LATER,
        ),
        EntryRequest(
            kind=Kind.WITHDRAWAL, holder=c, share_class=share_class, shares=107, effective_date=LATER
        ),
    ]


def one_at_a_time(share_class, requests):
    for request in requests:
        record_entry(
            society=share_class.society,
            kind=request.kind,
            holder=request.holder,
            share_class=share_class,
            shares=request.shares,
            amount=request.amount,
            effective_date=request.effective_date,
            reference=request.reference,
        )


def what_the_register_says(share_class, holders):
    """Everything written, with holders named by their place in `holders` (so two societies compare)."""
    place = {holder.pk: n for n, holder in enumerate(holders)}
    entries = [
        (e.sequence, e.kind, place[e.holder_id], e.shares, e.amount, e.effective_date)
        for e in LedgerEntry.objects.filter(society=share_class.society).order_by("sequence")
    ]
    holdings = sorted(
        (place[h.holder_id], h.shares, h.amount_paid, h.first_issued_on, h.ceased_on)
        for h in Holding.objects.filter(share_class=share_class)
    )
    certificates = [
        (
            c.number,
            place[c.holder_id],
            c.shares,
            c.state,
            c.ledger_entry.sequence,
            c.ended_by.sequence if c.ended_by else None,
            c.entry_hash == c.ledger_entry.entry_hash,
        )
        for c in Certificate.objects.filter(society=share_class.society)
        .select_related("ledger_entry", "ended_by")
        .order_by("number")
    ]
    return entries, holdings, certificates


@pytest.mark.django_db
def test_a_batch_writes_exactly_what_one_entry_at_a_time_writes():
    one_class, one_holders = a_register()
    one_at_a_time(one_class, the_script(one_class, one_holders))
    bulk_class, bulk_holders = a_register()
    requests = the_script(bulk_class, bulk_holders)

    entries = record_entries(society=bulk_class.society, requests=requests)

    assert [request.entry for request in requests] == entries
    assert [entry.sequence for entry in entries] == list(range(4, 12))  # after the three issues, no gap
    assert what_the_register_says(bulk_class, bulk_holders) == what_the_register_says(one_class, one_holders)
    for share_class in (one_class, bulk_class):
        check = verify_register(share_class.society)
        assert check.ok, check.problems
        assert check.entries_checked == 11
    # valid certificates add up to every holding
    for holding in Holding.objects.filter(share_class=bulk_class):
        valid = Certificate.objects.filter(
            holder=holding.holder, share_class=bulk_class, state=Certificate.State.VALID
        )
        assert sum(c.shares for c in valid) == holding.shares


@pytest.mark.django_db
def test_a_batch_takes_a_fixed_number_of_queries_however_long_it_is():
    def queries_for(count):
        share_class = factories.CommunityClassFactory(maximum_holding_shares=None)
        holders = factories.HolderFactory.create_batch(count)
        requests = [
            EntryRequest(
                kind=Kind.ISSUE,
                holder=h,
                share_class=share_class,
                shares=10,
                amount=gbp(10),
                effective_date=DAY,
            )
            for h in holders
        ]
        with CaptureQueriesContext(connection) as captured:
            record_entries(society=share_class.society, requests=requests)
        assert verify_register(share_class.society).ok
        return len(captured)

    assert queries_for(5) == queries_for(60)


@pytest.mark.django_db
def test_a_refused_request_writes_nothing_and_is_named():
    share_class, holders = a_register()
    requests = the_script(share_class, holders)
    requests.append(
        EntryRequest(
            kind=Kind.CANCELLATION, holder=holders[1], share_class=share_class, shares=151, about="last"
        )
    )
    with pytest.raises(BulkRegisterError, match="holds 150") as refused:
        record_entries(society=share_class.society, requests=requests)
    assert refused.value.request.about == "last"
    assert LedgerEntry.objects.filter(society=share_class.society).count() == 3
    assert Certificate.objects.filter(society=share_class.society).count() == 3
    assert sorted(Holding.objects.filter(share_class=share_class).values_list("shares", flat=True)) == [
        100,
        200,
        300,
    ]


@pytest.mark.django_db
def test_a_batch_keeps_the_class_maximum_and_the_statutory_limit():
    share_class = factories.CommunityClassFactory(maximum_holding_shares=150)
    holder = factories.HolderFactory()
    issue(holder=holder, share_class=share_class, shares=100, on=DAY)
    twice = [
        EntryRequest(kind=Kind.ISSUE, holder=holder, share_class=share_class, shares=30, amount=gbp(30)),
        EntryRequest(kind=Kind.ISSUE, holder=holder, share_class=share_class, shares=30, amount=gbp(30)),
    ]
    with pytest.raises(BulkRegisterError, match="would hold 160"):
        record_entries(society=share_class.society, requests=twice)

    society = share_class.society
    roomy = factories.CommunityClassFactory(society=society, name="Roomy shares", maximum_holding_shares=None)
    limit = society.individual_withdrawable_limit
    assert roomy.withdrawable
    over = [
        EntryRequest(
            kind=Kind.ISSUE, holder=holder, share_class=roomy, shares=1, amount=society.money(limit - 100)
        ),
        EntryRequest(kind=Kind.ISSUE, holder=holder, share_class=roomy, shares=1, amount=society.money(1)),
    ]
    with pytest.raises(BulkRegisterError, match="the law allows"):
        record_entries(society=society, requests=over)
    assert LedgerEntry.objects.filter(society=society).count() == 1
