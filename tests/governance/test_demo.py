"""The demo society holds last autumn's AGM, counted and minuted, with its results in a decision
record that verifies, and a meeting whose ballot is open now; loading the demo again adds nothing."""

import io

from django.core import mail
from django.core.management import call_command

from capital.models import Society
from governance.models import Ballot, DecisionEntry, Meeting, Question
from governance.services.verification import verify_decisions


def load_demo() -> str:
    out = io.StringIO()
    call_command("load_demo", stdout=out)
    return out.getvalue()


def test_the_demo_holds_a_past_agm_in_a_record_that_verifies_and_an_open_ballot(db):
    load_demo()
    society = Society.objects.get(slug="riverside-energy")
    agm = Meeting.objects.get(society=society, title="Annual general meeting 2025")
    assert agm.state == "closed" and agm.minutes_pdf and agm.signed_off_by.get_full_name() == "Dina Okafor"
    results = {
        e.data["title"]: (e.kind, e.data["result"]["for"], e.data["result"]["against"])
        for e in DecisionEntry.objects.filter(society=society, question__meeting=agm)
    }
    assert results == {
        "Appoint the examiners of the accounts": ("resolution.passed", 4, 1),
        "Cap the interest on community shares": ("resolution.passed", 4, 0),
        "Sponsor the Hebden Bridge fun run": ("resolution.failed", 2, 3),
    }
    assert all(
        e.decided_on.isoformat() == "2025-10-30" for e in DecisionEntry.objects.filter(question__meeting=agm)
    )
    assert DecisionEntry.objects.filter(society=society, kind="minutes.signed", data__meeting=agm.pk).exists()
    in_room = Ballot.objects.filter(question__meeting=agm, method="in_room").values("voter").distinct()
    assert in_room.count() == 2

    check = verify_decisions(society)
    assert check.ok, check.problems
    assert check.results_recounted == 3

    (open_question,) = Question.objects.filter(meeting__society=society, state="open")
    assert open_question.meeting.state == "called" and open_question.voting_closes_at is not None
    assert Ballot.objects.filter(question=open_question).count() == 2
    assert mail.outbox == []  # loading the demo emails no one


def test_loading_the_demo_again_adds_no_meeting_vote_or_decision(db):
    load_demo()
    before = (Meeting.objects.count(), Ballot.objects.count(), DecisionEntry.objects.count())
    out = load_demo()
    assert "nothing changed" in out
    assert (Meeting.objects.count(), Ballot.objects.count(), DecisionEntry.objects.count()) == before


def test_a_demo_loaded_before_its_meetings_gets_them(db):
    load_demo()
    society = Society.objects.get(slug="riverside-energy")
    open_meeting = Meeting.objects.get(society=society, state="called")
    Ballot.objects.filter(question__meeting=open_meeting).delete()
    Question.objects.filter(meeting=open_meeting).delete()
    open_meeting.roll.all().delete()
    open_meeting.delete()
    out = load_demo()
    assert "1 general meeting(s)" in out
    assert Meeting.objects.filter(society=society).count() == 2
    assert verify_decisions(society).ok
