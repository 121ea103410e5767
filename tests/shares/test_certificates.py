"""Share certificates follow the register, and anyone can check one at /verify/<token>/."""

import io

from django.core.management import call_command
from django.db.models import Sum

from shares.models import Certificate, Holding
from shares.services.register import remove_shares, transfer_shares
from tests import factories
from tests.builders import close_and_allocate, issue, paid_application
from tests.conftest import run_raw_sql

State = Certificate.State


def valid_total(holder, share_class):
    return (
        Certificate.objects.filter(holder=holder, share_class=share_class, state=State.VALID).aggregate(
            total=Sum("shares")
        )["total"]
        or 0
    )


def test_each_issue_gets_a_certificate_numbered_without_gaps_and_carrying_its_hash(community_class):
    holders = factories.HolderFactory.create_batch(3)
    entries = [
        issue(holder=holder, share_class=community_class, shares=100 * (n + 1))
        for n, holder in enumerate(holders)
    ]
    certificates = list(Certificate.objects.order_by("number"))
    assert [c.number for c in certificates] == [1, 2, 3]
    assert [(c.holder, c.shares, c.entry_hash) for c in certificates] == [
        (holder, 100 * (n + 1), entry.entry_hash)
        for n, (holder, entry) in enumerate(zip(holders, entries, strict=True))
    ]
    other = factories.CommunityClassFactory()
    issue(holder=holders[0], share_class=other, shares=5)
    assert Certificate.objects.get(society=other.society).number == 1


def test_a_partial_withdrawal_supersedes_and_certifies_the_balance(community_class, holder):
    issue(holder=holder, share_class=community_class, shares=300)
    issue(holder=holder, share_class=community_class, shares=200)
    entry = remove_shares(
        society=community_class.society,
        kind="withdrawal",
        holder=holder,
        share_class=community_class,
        shares=150,
    )
    assert set(Certificate.objects.filter(number__in=[1, 2]).values_list("state", flat=True)) == {
        State.SUPERSEDED
    }
    new = Certificate.objects.get(state=State.VALID)
    assert (new.number, new.shares, new.ledger_entry, new.entry_hash) == (3, 350, entry, entry.entry_hash)
    assert Certificate.objects.get(number=1).ended_by == entry
    assert valid_total(holder, community_class) == Holding.objects.get(holder=holder).shares


def test_withdrawing_everything_cancels_the_certificates(community_class, holder):
    issue(holder=holder, share_class=community_class, shares=300)
    remove_shares(
        society=community_class.society,
        kind="withdrawal",
        holder=holder,
        share_class=community_class,
        shares=300,
    )
    assert list(Certificate.objects.values_list("state", flat=True)) == [State.CANCELLED]


def test_a_transfer_reissues_the_seller_balance_and_certifies_the_buyer(investor_class, holder):
    buyer = factories.HolderFactory()
    issue(holder=holder, share_class=investor_class, shares=500)
    transfer_shares(
        society=investor_class.society, holder=holder, to=buyer, share_class=investor_class, shares=200
    )
    assert valid_total(holder, investor_class) == 300 and valid_total(buyer, investor_class) == 200
    assert Certificate.objects.count() == 3


def test_allocation_certifies_every_allocated_application(open_offer):
    applications = [
        paid_application(offer=open_offer, shares=600),
        paid_application(offer=open_offer, shares=400),
    ]
    close_and_allocate(offer=open_offer)
    for application in applications:
        assert valid_total(application.holder, open_offer.share_class) == application.shares


def test_the_verify_page_shows_the_certificate_and_only_the_holder_initials(client, investor_class):
    holder = factories.HolderFactory(name="Mary-Jane van Dyke")
    issue(holder=holder, share_class=investor_class, shares=250)
    certificate = Certificate.objects.get()
    html = client.get(f"/verify/{certificate.verification_token}/").content.decode()
    assert "genuine and valid" in html
    for text in (investor_class.society.name, investor_class.name, "250", certificate.entry_hash, "M.J.V.D."):
        assert text in html
    assert "Mary" not in html and "Dyke" not in html
    assert "carries no vote and no control right" in html


def test_the_verify_page_says_when_a_certificate_is_no_longer_valid(client, community_class, holder):
    issue(holder=holder, share_class=community_class, shares=100)
    old = Certificate.objects.get()
    remove_shares(
        society=community_class.society,
        kind="withdrawal",
        holder=holder,
        share_class=community_class,
        shares=40,
    )
    html = client.get(f"/verify/{old.verification_token}/").content.decode()
    assert "no longer valid: superseded by a later certificate" in html


def test_an_unknown_token_is_not_found(client, db):
    assert client.get("/verify/not-a-real-token/").status_code == 404


def test_tokens_are_unguessable_and_unique(community_class):
    for holder in factories.HolderFactory.create_batch(20):
        issue(holder=holder, share_class=community_class, shares=1)
    tokens = list(Certificate.objects.values_list("verification_token", flat=True))
    assert len(set(tokens)) == 20 and all(len(token) >= 24 for token in tokens)


def test_issue_certificates_command_fills_gaps_and_is_idempotent(community_class):
    holders = factories.HolderFactory.create_batch(3)
    for holder in holders:
        issue(holder=holder, share_class=community_class, shares=10)
    run_raw_sql("DELETE FROM shares_certificate WHERE holder_id = %s", [holders[1].pk])
    out = io.StringIO()
    call_command("issue_certificates", community_class.society.slug, stdout=out)
    assert "1 certificates issued" in out.getvalue()
    call_command("issue_certificates", community_class.society.slug, stdout=out)
    assert "0 certificates issued" in out.getvalue()
    assert all(valid_total(holder, community_class) == 10 for holder in holders)
    numbers = sorted(Certificate.objects.values_list("number", flat=True))
    assert numbers == [1, 3, 4]  # numbers are never reused, even for a certificate that was lost
