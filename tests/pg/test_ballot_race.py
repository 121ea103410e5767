"""Real threads against real PostgreSQL: one member voting many times at once, and many members
voting at once, each leave exactly one counted vote per member."""

import datetime
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from django.utils import timezone

from governance.models import Ballot, DecisionEntry, Question
from governance.services.closing import close_at_closing_time, close_question
from governance.services.voting import vote
from tests import factories
from tests.builders import called_meeting, seed_register
from tests.pg.conftest import run_concurrently

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
CHOICES = ("for", "against", "abstain")


def test_sixty_submissions_by_one_member_leave_one_counted_vote():
    share_class = factories.CommunityClassFactory()
    (member,) = seed_register(share_class=share_class, holdings=[("Pat", 1)], on=datetime.date(2024, 1, 1))
    question = called_meeting(society=share_class.society).questions.get()

    outcomes = run_concurrently(
        lambda n: vote(question=question, holder=member, choice=CHOICES[n % 3]), range(60)
    )

    assert all(isinstance(o, Ballot) for o in outcomes), [o for o in outcomes if not isinstance(o, Ballot)]
    ballot = Ballot.objects.get(question=question)
    assert ballot.changes == 59
    result = close_question(question=question).result
    assert result["ballots"] == 1
    assert result[ballot.choice] == 1 and result["for"] + result["against"] + result["abstain"] == 1


def test_three_hundred_members_voting_at_once_give_an_exact_tally():
    share_class = factories.CommunityClassFactory()
    members = seed_register(
        share_class=share_class, holdings=[(f"M{n}", 1) for n in range(300)], on=datetime.date(2024, 1, 1)
    )
    question = called_meeting(society=share_class.society).questions.get()
    start = threading.Barrier(40)

    def cast(n):
        try:
            if n < 40:
                start.wait(timeout=30)
            return vote(question=question, holder=members[n], choice=CHOICES[n % 3])
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=40) as pool:  # PostgreSQL's 100 connections are shared
        outcomes = list(pool.map(cast, range(300)))

    assert all(isinstance(o, Ballot) for o in outcomes)
    result = close_question(question=question).result
    assert (result["for"], result["against"], result["abstain"]) == (100, 100, 100)
    assert result["roll"] == 300 and result["ballots"] == 300


def test_workers_and_the_secretary_closing_a_ballot_at_once_count_it_once():
    share_class = factories.CommunityClassFactory()
    members = seed_register(
        share_class=share_class, holdings=[(f"M{n}", 1) for n in range(5)], on=datetime.date(2024, 1, 1)
    )
    question = called_meeting(society=share_class.society).questions.get()
    for member in members:
        vote(question=question, holder=member, choice="for")
    Question.objects.filter(pk=question.pk).update(voting_closes_at=timezone.now())

    def close(n):
        if n == 0:  # the secretary, at the meeting, as the task runs
            return close_question(question=question) and True
        return close_at_closing_time.call(question.pk)

    outcomes = run_concurrently(close, range(6))

    counted = [o for o in outcomes if o is True]
    assert len(counted) == 1 and DecisionEntry.objects.filter(question=question).count() == 1, outcomes
    assert all(o is True or o is False or "already closed" in str(o) for o in outcomes), outcomes
    assert Question.objects.get(pk=question.pk).result["for"] == 5
