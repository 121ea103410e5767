"""One member, one vote per question; investors never vote; the roll is the record date's."""

import datetime

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from capital.errors import Refusal
from governance.errors import GovernanceError, NotOnRoll
from governance.models import Ballot, GovernanceRules, RollEntry, receipt_hash
from governance.services.closing import close_question
from governance.services.meetings import stand
from governance.services.voting import appoint_proxy, record_in_room, vote, vote_as_proxy
from tests import factories
from tests.builders import called_meeting, issue


@pytest.fixture
def meeting(society, members, investor_only):
    return called_meeting(
        society=society, questions=[("ordinary", "Approve the accounts"), ("election", "Elect directors", 2)]
    )


def test_the_roll_is_the_members_at_the_record_date_and_no_investor(meeting, members, investor_only):
    on_roll = set(meeting.roll.values_list("holder", flat=True))
    assert on_roll == {m.pk for m in members}
    assert investor_only.pk not in on_roll


def test_an_investor_only_holder_is_refused_by_the_service(meeting, investor_only):
    question = meeting.questions.get(number=1)
    with pytest.raises(NotOnRoll, match="Investor shares never carry a vote"):
        vote(question=question, holder=investor_only, choice="for")
    with pytest.raises(GovernanceError, match="Only a member on the roll"):
        stand(question=meeting.questions.get(number=2), holder=investor_only)
    assert not Ballot.objects.filter(question=question).exists()


def test_the_database_refuses_a_ballot_without_a_roll_entry(meeting):
    question = meeting.questions.get(number=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        Ballot.objects.create(question=question, voter_id=None, choice="for")


def test_the_database_refuses_a_second_ballot_for_the_same_member(meeting, members):
    question = meeting.questions.get(number=1)
    vote(question=question, holder=members[0], choice="for")
    entry = RollEntry.objects.get(meeting=meeting, holder=members[0])
    with pytest.raises(IntegrityError), transaction.atomic():
        Ballot.objects.create(question=question, voter=entry, choice="against")


def test_shares_bought_after_the_record_date_give_no_vote(society, community_class, members):
    late = factories.HolderFactory(name="Late Comer")
    issue(holder=late, share_class=community_class, shares=5, on=timezone.localdate())
    meeting = called_meeting(society=society, record_date=timezone.localdate() - datetime.timedelta(days=1))
    with pytest.raises(NotOnRoll):
        vote(question=meeting.questions.get(), holder=late, choice="for")


def test_a_member_changes_their_vote_and_only_the_last_counts(meeting, members):
    question = meeting.questions.get(number=1)
    first = vote(question=question, holder=members[0], choice="for")
    again = vote(question=question, holder=members[0], choice="against")
    assert Ballot.objects.filter(question=question).count() == 1
    assert again.choice == "against" and again.changes == 1
    assert again.receipt_code == first.receipt_code
    assert again.receipt_hash == receipt_hash(question.pk, first.receipt_code)
    closed = close_question(question=question)
    assert (closed.result["for"], closed.result["against"]) == (0, 1)


def test_no_vote_after_the_close(meeting, members):
    question = meeting.questions.get(number=1)
    close_question(question=question)
    with pytest.raises(GovernanceError, match="closed"):
        vote(question=question, holder=members[0], choice="for")


def test_online_voting_stops_at_its_closing_time(meeting, members):
    question = meeting.questions.get(number=1)
    question.voting_closes_at = timezone.now()
    question.save()
    with pytest.raises(GovernanceError, match="Online voting on this question has closed"):
        vote(question=question, holder=members[0], choice="for")


def test_an_election_takes_up_to_the_seats_from_members_standing(meeting, members):
    election = meeting.questions.get(number=2)
    a, b, c = (stand(question=election, holder=m) for m in members[:3])
    with pytest.raises(GovernanceError, match="up to 2"):
        vote(question=election, holder=members[4], candidates=[a.pk, b.pk, c.pk])
    vote(question=election, holder=members[4], candidates=[a.pk, c.pk])
    assert Ballot.objects.get(question=election).candidates == sorted([a.pk, c.pk])


def test_no_one_stands_once_online_voting_has_closed_or_a_member_has_voted_in_the_election(meeting, members):
    election = meeting.questions.get(number=2)
    election.voting_closes_at = timezone.now()
    election.save()
    with pytest.raises(GovernanceError, match="Online voting in this election has closed"):
        stand(question=election, holder=members[1])

    election.voting_closes_at = None
    election.save()
    first = stand(question=election, holder=members[0])
    vote(question=election, holder=members[4], candidates=[first.pk])
    with pytest.raises(GovernanceError, match="already voted in this election"):
        stand(question=election, holder=members[1])
    assert list(election.candidates.values_list("member__holder", flat=True)) == [members[0].pk]


def test_the_secretary_records_in_the_room_only_for_those_who_have_not_voted(meeting, members, society):
    secretary = factories.UserFactory()
    factories.SocietyRoleFactory(society=society, user=secretary, role="secretary")
    question = meeting.questions.get(number=1)
    vote(question=question, holder=members[0], choice="for")
    with pytest.raises(GovernanceError, match="already voted"):
        record_in_room(question=question, holder=members[0], choice="against", by=secretary)
    ballot = record_in_room(question=question, holder=members[1], choice="against", by=secretary)
    assert ballot.method == "in_room" and ballot.voter.present
    director = factories.UserFactory()
    factories.SocietyRoleFactory(society=society, user=director, role="director")
    with pytest.raises(Refusal, match="Only a secretary"):
        record_in_room(question=question, holder=members[2], choice="for", by=director)


def test_a_proxy_votes_for_at_most_the_rules_number(meeting, members, society):
    rules = GovernanceRules.of(society)
    rules.proxies_allowed, rules.max_proxies_per_member = True, 1
    rules.save()
    appoint_proxy(meeting=meeting, member=members[1], proxy=members[0])
    with pytest.raises(GovernanceError, match="at most 1"):
        appoint_proxy(meeting=meeting, member=members[2], proxy=members[0])
    question = meeting.questions.get(number=1)
    ballot = vote_as_proxy(question=question, proxy=members[0], member=members[1], choice="for")
    assert ballot.voter.holder == members[1] and ballot.method == "proxy"
    with pytest.raises(GovernanceError, match="not Member 3's proxy"):
        vote_as_proxy(question=question, proxy=members[0], member=members[3], choice="for")


def test_proxies_are_refused_when_the_rules_do_not_allow_them(meeting, members):
    with pytest.raises(GovernanceError, match="do not allow proxies"):
        appoint_proxy(meeting=meeting, member=members[1], proxy=members[0])
