"""One member, one vote: membership comes from holding the minimum in a membership class."""

import datetime

from shares.models import LedgerEntry
from shares.services.membership import voting_roll
from shares.services.register import remove_shares, transfer_shares
from tests import factories
from tests.builders import issue

APRIL = datetime.date(2026, 4, 1)


def names(roll):
    return [voter.holder.name for voter in roll]


def test_each_member_votes_once_however_many_shares_they_hold(society, community_class):
    small, large = factories.HolderFactory(name="Small"), factories.HolderFactory(name="Large")
    issue(holder=small, share_class=community_class, shares=1, on=APRIL)
    issue(holder=large, share_class=community_class, shares=90000, on=APRIL)
    issue(holder=large, share_class=community_class, shares=9000, on=APRIL + datetime.timedelta(days=3))
    roll = voting_roll(society, APRIL + datetime.timedelta(days=10))
    assert names(roll) == ["Large", "Small"]
    assert [voter.weight for voter in roll] == [1, 1]


def test_investor_only_holders_never_vote(society, community_class, investor_class):
    investor = factories.HolderFactory(name="Investor")
    both = factories.HolderFactory(name="Member and investor")
    issue(holder=investor, share_class=investor_class, shares=50000, on=APRIL)
    issue(holder=both, share_class=investor_class, shares=50000, on=APRIL)
    issue(holder=both, share_class=community_class, shares=1, on=APRIL)
    roll = voting_roll(society, APRIL)
    assert names(roll) == ["Member and investor"]
    assert [voter.weight for voter in roll] == [1]


def test_membership_needs_the_class_minimum(society):
    member_class = factories.CommunityClassFactory(
        society=society, name="Members", membership_minimum_shares=50
    )
    below, at = factories.HolderFactory(name="Below"), factories.HolderFactory(name="At")
    issue(holder=below, share_class=member_class, shares=49, on=APRIL)
    issue(holder=at, share_class=member_class, shares=50, on=APRIL)
    assert names(voting_roll(society, APRIL)) == ["At"]


def test_roll_is_as_of_a_date(society, community_class):
    early, late = factories.HolderFactory(name="Early"), factories.HolderFactory(name="Late")
    issue(holder=early, share_class=community_class, shares=10, on=APRIL)
    issue(holder=late, share_class=community_class, shares=10, on=APRIL + datetime.timedelta(days=30))
    assert names(voting_roll(society, APRIL)) == ["Early"]
    assert names(voting_roll(society, APRIL - datetime.timedelta(days=1))) == []


def test_a_member_who_withdraws_everything_leaves_the_roll(society, community_class):
    leaving = factories.HolderFactory(name="Leaving")
    issue(holder=leaving, share_class=community_class, shares=100, on=APRIL)
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
    transferable = factories.CommunityClassFactory(
        society=society, name="Transferable", withdrawable=False, transferable=True
    )
    seller, buyer = factories.HolderFactory(name="Seller"), factories.HolderFactory(name="Buyer")
    issue(holder=seller, share_class=transferable, shares=10, on=APRIL)
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
    issue(holder=factories.HolderFactory(name="Ours"), share_class=community_class, shares=1, on=APRIL)
    issue(holder=factories.HolderFactory(name="Theirs"), share_class=elsewhere, shares=1, on=APRIL)
    assert names(voting_roll(society, APRIL)) == ["Ours"]


def test_a_member_leaves_the_roll_on_the_day_they_die(society, community_class):
    member = factories.HolderFactory(name="Late", died_on=APRIL + datetime.timedelta(days=10))
    issue(holder=member, share_class=community_class, shares=5, on=APRIL)
    assert names(voting_roll(society, APRIL + datetime.timedelta(days=9))) == ["Late"]
    assert names(voting_roll(society, APRIL + datetime.timedelta(days=10))) == []
