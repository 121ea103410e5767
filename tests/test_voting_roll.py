"""One member, one vote: membership comes from holding the minimum in a membership class."""

import datetime

from shares.models import LedgerEntry
from shares.services.membership import voting_roll
from shares.services.register import issue_shares, remove_shares, transfer_shares
from tests import factories
from tests.factories import gbp

APRIL = datetime.date(2026, 4, 1)


def issue(holder, share_class, shares, on=APRIL):
    issue_shares(
        society=share_class.society,
        holder=holder,
        share_class=share_class,
        shares=shares,
        amount=gbp(shares),
        effective_date=on,
    )


def names(roll):
    return [voter.holder.name for voter in roll]


def test_each_member_votes_once_however_many_shares_they_hold(society, community_class):
    small, large = factories.HolderFactory(name="Small"), factories.HolderFactory(name="Large")
    issue(small, community_class, 1)
    issue(large, community_class, 90000)
    issue(large, community_class, 9000, on=APRIL + datetime.timedelta(days=3))
    roll = voting_roll(society, APRIL + datetime.timedelta(days=10))
    assert names(roll) == ["Large", "Small"]
    assert [voter.weight for voter in roll] == [1, 1]


def test_investor_only_holders_never_vote(society, community_class, investor_class):
    investor = factories.HolderFactory(name="Investor")
    both = factories.HolderFactory(name="Member and investor")
    issue(investor, investor_class, 50000)
    issue(both, investor_class, 50000)
    issue(both, community_class, 1)
    roll = voting_roll(society, APRIL)
    assert names(roll) == ["Member and investor"]
    assert [voter.weight for voter in roll] == [1]


def test_membership_needs_the_class_minimum(society):
    member_class = factories.CommunityClassFactory(
        society=society, name="Members", membership_minimum_shares=50
    )
    below, at = factories.HolderFactory(name="Below"), factories.HolderFactory(name="At")
    issue(below, member_class, 49)
    issue(at, member_class, 50)
    assert names(voting_roll(society, APRIL)) == ["At"]


def test_roll_is_as_of_a_date(society, community_class):
    early, late = factories.HolderFactory(name="Early"), factories.HolderFactory(name="Late")
    issue(early, community_class, 10)
    issue(late, community_class, 10, on=APRIL + datetime.timedelta(days=30))
    assert names(voting_roll(society, APRIL)) == ["Early"]
    assert names(voting_roll(society, APRIL - datetime.timedelta(days=1))) == []


def test_a_member_who_withdraws_everything_leaves_the_roll(society, community_class):
    leaving = factories.HolderFactory(name="Leaving")
    issue(leaving, community_class, 100)
    remove_shares(
        society=society,
        kind=LedgerEntry.Kind.WITHDRAWAL,
        holder=leaving,
        share_class=community_class,
        shares=100,
        effective_date=APRIL + datetime.timedelta(days=5),
    )
    assert names(voting_roll(society, APRIL)) == ["Leaving"]
    assert names(voting_roll(society, APRIL + datetime.timedelta(days=5))) == []


def test_transfers_move_membership(society):
    transferable = factories.CommunityClassFactory(society=society, name="Transferable", transferable=True)
    seller, buyer = factories.HolderFactory(name="Seller"), factories.HolderFactory(name="Buyer")
    issue(seller, transferable, 10)
    transfer_shares(
        society=society,
        holder=seller,
        to=buyer,
        share_class=transferable,
        shares=10,
        effective_date=APRIL + datetime.timedelta(days=1),
    )
    assert names(voting_roll(society, APRIL + datetime.timedelta(days=1))) == ["Buyer"]


def test_other_societies_members_are_not_on_the_roll(society, community_class):
    elsewhere = factories.CommunityClassFactory()
    issue(factories.HolderFactory(name="Ours"), community_class, 1)
    issue(factories.HolderFactory(name="Theirs"), elsewhere, 1)
    assert names(voting_roll(society, APRIL)) == ["Ours"]
