"""Counting: quorum, thresholds, abstentions, ties by lot, the s.111 two-meeting rule, and the
result in the decision record with every receipt, recounting to the published totals."""

import datetime
from collections import Counter
from decimal import Decimal

import pytest
from django.utils import timezone

from governance import tally
from governance.errors import GovernanceError
from governance.models import DecisionEntry, GovernanceRules, Question, receipt_hash
from governance.services.closing import close_question
from governance.services.meetings import add_question, create_meeting, stand
from governance.services.voting import record_attendance, vote
from tests.builders import called_meeting

RULES = {
    "quorum_members": 3,
    "quorum_percent": "10.00",
    "quorum_rule": "greater",
    "special_threshold_percent": "75.00",
    "abstentions_are_cast": False,
    "recorded_votes": False,
}


def ballots(**choices):
    return [(f"r{n}", choice) for n, choice in enumerate(c for c, k in choices.items() for _ in range(k))]


@pytest.mark.parametrize(
    ("kind", "votes", "passed"),
    [
        ("ordinary", {"for": 6, "against": 5}, True),
        ("ordinary", {"for": 5, "against": 5}, False),  # a tie is not more than half
        ("ordinary", {"for": 3, "against": 2, "abstain": 10}, True),  # abstentions are not cast
        ("special", {"for": 75, "against": 25}, True),  # exactly three quarters
        ("special", {"for": 74, "against": 26}, False),
        ("s111", {"for": 2, "against": 1}, True),  # two thirds exactly
        ("s111", {"for": 65, "against": 35}, False),
        ("s111_confirm", {"for": 51, "against": 49}, True),
    ],
)
def test_thresholds(kind, votes, passed):
    result = tally.count(kind=kind, rules=RULES, roll_size=200, present=20, ballots=ballots(**votes))
    assert result["passed"] is passed


def test_abstentions_count_as_cast_only_when_the_rules_say():
    counted = {**RULES, "abstentions_are_cast": True}
    result = tally.count(
        kind="ordinary",
        rules=counted,
        roll_size=20,
        present=0,
        ballots=ballots(**{"for": 3, "against": 2, "abstain": 2}),
    )
    assert (result["cast"], result["passed"]) == (7, False)


def test_quorum_is_the_greater_of_number_and_percentage_unless_the_rules_say_less():
    result = tally.count(
        kind="ordinary", rules=RULES, roll_size=100, present=3, ballots=ballots(**{"for": 6})
    )
    assert (result["quorum_needed"], result["quorate"], result["passed"]) == (
        10,
        PermissionError and False,
        False,
    )
    assert tally.count(kind="ordinary", rules=RULES, roll_size=100, present=4, ballots=ballots(**{"for": 6}))[
        "passed"
    ]
    lesser = {**RULES, "quorum_rule": "lesser", "quorum_percent": "50"}
    assert tally.quorum_needed(roll_size=100, members=3, percent=Decimal(50), rule="lesser") == 3
    assert tally.count(
        kind="ordinary", rules=lesser, roll_size=100, present=0, ballots=ballots(**{"for": 3})
    )["quorate"]


def test_a_tie_for_the_last_seat_is_drawn_by_lot_and_recorded():
    votes = [("a", [1, 2]), ("b", [1, 3]), ("c", [1]), ("d", [2, 3])]
    result = tally.count(kind="election", rules=RULES, roll_size=10, present=0, ballots=votes, seats=2)
    assert result["votes"] == {"1": 3, "2": 2, "3": 2}
    assert result["tied_for_last_seat"] == [2, 3]
    assert len(result["drawn_by_lot"]) == 1 and result["drawn_by_lot"][0] in (2, 3)
    assert result["elected"] == sorted([1, *result["drawn_by_lot"]])
    again = tally.count(
        kind="election",
        rules=RULES,
        roll_size=10,
        present=0,
        ballots=votes,
        seats=2,
        drawn=result["drawn_by_lot"],
    )
    assert again == result


@pytest.fixture
def meeting(society, members):
    return called_meeting(
        society=society, questions=[("special", "Change the rules"), ("election", "Elect directors", 1)]
    )


def test_the_result_goes_into_the_record_with_every_receipt(meeting, members, society):
    question = meeting.questions.get(number=1)
    receipts = {}
    for member, choice in zip(members, ["for"] * 6 + ["against", "abstain", "for"], strict=False):
        receipts[member.pk] = vote(question=question, holder=member, choice=choice).receipt_code
    record_attendance(meeting=meeting, holders=[members[9]])
    closed = close_question(question=question)

    assert closed.passed is True  # 7 for, 1 against: 87.5% of votes cast
    assert closed.result | {} == closed.result
    assert (closed.result["for"], closed.result["against"], closed.result["abstain"]) == (7, 1, 1)
    assert closed.result["taking_part"] == 10 and closed.result["quorate"]
    entry = DecisionEntry.objects.get(question=closed)
    assert entry.kind == "resolution.passed"
    assert "7 for, 1 against, 1 abstaining" in entry.summary
    published = entry.data["ballots"]
    recount = Counter(choice for _, choice in published)
    assert (recount["for"], recount["against"], recount["abstain"]) == (7, 1, 1)
    mine = receipt_hash(question.pk, receipts[members[6].pk])
    assert [mine, "against"] in published
    assert not any(m.name in str(entry.data) for m in members)  # a secret ballot names no one


def test_a_recorded_vote_publishes_names(meeting, members, society):
    rules = GovernanceRules.of(society)
    rules.recorded_votes = True
    rules.save()
    question = meeting.questions.get(number=1)
    vote(question=question, holder=members[0], choice="for")
    entry = DecisionEntry.objects.get(question=close_question(question=question))
    assert entry.data["ballots"] == [[members[0].name, "for"]]


def test_an_election_result_names_who_was_elected(meeting, members):
    election = meeting.questions.get(number=2)
    ada, bo = stand(question=election, holder=members[0]), stand(question=election, holder=members[1])
    for member in members[2:6]:
        vote(question=election, holder=member, candidates=[ada.pk])
    vote(question=election, holder=members[6], candidates=[bo.pk])
    closed = close_question(question=election)
    assert closed.result["elected"] == [ada.pk]
    assert (
        DecisionEntry.objects.get(question=closed).summary == "Elect directors: the members elected Member 0."
    )


def test_an_inquorate_meeting_passes_nothing(meeting, members):
    question = meeting.questions.get(number=1)
    vote(question=question, holder=members[0], choice="for")
    closed = close_question(question=question)
    assert closed.passed is False and not closed.result["quorate"]
    assert "not quorate" in DecisionEntry.objects.get(question=closed).summary


def test_s111_needs_a_confirming_second_meeting_14_days_to_a_month_later(society, members):
    first = called_meeting(society=society, questions=[("s111", "Convert to a company")], starts_in_days=15)
    resolution = first.questions.get()
    for member in members[:7]:
        vote(question=resolution, holder=member, choice="for")
    vote(question=resolution, holder=members[7], choice="against")
    assert close_question(question=resolution).passed

    def second_meeting(days_after):
        return create_meeting(
            society=society,
            title="Confirming meeting",
            starts_at=first.starts_at + datetime.timedelta(days=days_after),
            record_date=timezone.localdate(),
            location="The Mill",
        )

    for too_soon_or_late in (13, 32):
        with pytest.raises(GovernanceError, match="14 days to one month"):
            add_question(
                meeting=second_meeting(too_soon_or_late),
                kind="s111_confirm",
                title="Confirm",
                text="-",
                confirms=resolution,
            )
    confirmation = add_question(
        meeting=second_meeting(20), kind="s111_confirm", title="Confirm", text="-", confirms=resolution
    )
    assert confirmation.confirms == resolution
    with pytest.raises(GovernanceError, match="Name the s.111 resolution"):
        add_question(meeting=second_meeting(20), kind="s111_confirm", title="Confirm", text="-")


def test_a_failed_s111_cannot_be_confirmed(society, members):
    first = called_meeting(society=society, questions=[("s111", "Convert")], starts_in_days=15)
    resolution = first.questions.get()
    for member, choice in zip(members[:6], ["for"] * 3 + ["against"] * 3, strict=True):
        vote(question=resolution, holder=member, choice=choice)
    close_question(question=resolution)
    second = create_meeting(
        society=society,
        title="Confirming",
        starts_at=first.starts_at + datetime.timedelta(days=20),
        record_date=timezone.localdate(),
        location="The Mill",
    )
    with pytest.raises(GovernanceError, match="passed at the first meeting"):
        add_question(
            meeting=second,
            kind=Question.Kind.S111_CONFIRMATION,
            title="Confirm",
            text="-",
            confirms=resolution,
        )
