"""What a board or a proxy cannot change once members rely on it: the rules a ballot is held
under, a called or signed-off meeting, a member's own vote; and addresses that answer bad input
with an empty page, never a server error."""

import datetime

import pytest
from django.utils import timezone

from capital.services import appoint_board_member
from governance.errors import GovernanceError
from governance.models import Ballot, GovernanceRules, Meeting, Proposal, Question, Requisition
from governance.services.closing import close_question
from governance.services.members import propose, second, start_requisition
from governance.services.voting import appoint_proxy, vote, vote_as_proxy
from governance.wagtail_hooks import save_meeting, save_rules
from tests import factories
from tests.builders import board_seat, called_meeting
from tests.factories import SocietyFactory


@pytest.fixture
def meeting(society, members):
    return called_meeting(society=society, questions=[("ordinary", "Approve the accounts")])


@pytest.fixture
def secretary(society):
    return board_seat(society=society, role="secretary")


@pytest.fixture
def proxies_allowed(society):
    rules = GovernanceRules.of(society)
    rules.proxies_allowed, rules.max_proxies_per_member = True, 2
    rules.save()
    return rules


def test_the_rules_cannot_change_while_a_ballot_is_open_so_a_secret_ballot_stays_secret(
    meeting, members, secretary, society
):
    question = meeting.questions.get()
    vote(question=question, holder=members[0], choice="against")
    rules = GovernanceRules.of(society)
    rules.recorded_votes = True

    with pytest.raises(GovernanceError, match="ballot of .* is open"):
        save_rules(rules, secretary)

    assert GovernanceRules.of(society).recorded_votes is False
    close_question(question=question, by=secretary)
    rules.refresh_from_db()
    rules.special_threshold_percent = 50
    save_rules(rules, secretary)  # every ballot counted: the rules may change for the next meeting
    assert GovernanceRules.of(society).special_threshold_percent == 50


@pytest.mark.parametrize(
    "change, named",
    [
        ({"record_date": datetime.date(2025, 1, 1)}, "record date"),
        ({"kind": Meeting.Kind.SPECIAL}, "kind"),
    ],
)
def test_a_called_meetings_record_date_and_kind_cannot_change(meeting, secretary, change, named):
    edited = Meeting.objects.get(pk=meeting.pk)
    for field, value in change.items():
        setattr(edited, field, value)

    with pytest.raises(GovernanceError, match=f"meeting's {named} can no longer change"):
        save_meeting(edited, secretary)

    meeting.refresh_from_db()
    assert (meeting.record_date, meeting.kind) == (timezone.localdate(), Meeting.Kind.ANNUAL)


def test_a_called_meeting_cannot_move_to_another_society(meeting, society, secretary):
    elsewhere = SocietyFactory()
    appoint_board_member(society=elsewhere, user=secretary, role="secretary")
    edited = Meeting.objects.get(pk=meeting.pk)
    edited.society = elsewhere

    with pytest.raises(GovernanceError, match="society can no longer change"):
        save_meeting(edited, secretary)
    assert Meeting.objects.get(pk=meeting.pk).society == society


def test_a_signed_off_meeting_cannot_be_edited(meeting, secretary):
    Meeting.objects.filter(pk=meeting.pk).update(state=Meeting.State.CLOSED, minutes="What was decided.")
    edited = Meeting.objects.get(pk=meeting.pk)
    edited.minutes, edited.title = "Nothing was decided.", "Rewritten"

    with pytest.raises(GovernanceError, match="signed off"):
        save_meeting(edited, secretary)

    meeting.refresh_from_db()
    assert (meeting.title, meeting.minutes) == ("Annual general meeting", "What was decided.")


def test_a_proxy_cannot_overwrite_a_members_own_vote_nor_see_it(meeting, members, proxies_allowed, client):
    question = meeting.questions.get()
    vote(question=question, holder=members[1], choice="against")
    appoint_proxy(meeting=meeting, member=members[1], proxy=members[0])

    with pytest.raises(GovernanceError, match="voted on this question themselves"):
        vote_as_proxy(question=question, proxy=members[0], member=members[1], choice="for")

    ballot = Ballot.objects.get(question=question, voter__holder=members[1])
    assert (ballot.choice, ballot.method) == ("against", "online")
    members[0].user = factories.UserFactory(email=members[0].email)
    members[0].save()
    client.force_login(members[0].user)
    page = client.get("/account/meetings/").content.decode()
    assert f'id="p{ballot.voter_id}_q{question.pk}_' not in page  # no proxy form, no "Voted: Against"


def test_a_proxy_votes_only_while_online_voting_is_open(meeting, members, proxies_allowed):
    question = meeting.questions.get()
    appoint_proxy(meeting=meeting, member=members[1], proxy=members[0])
    Question.objects.filter(pk=question.pk).update(
        voting_closes_at=timezone.now() - datetime.timedelta(hours=1)
    )
    question.refresh_from_db()

    with pytest.raises(GovernanceError, match="Online voting on this question has closed"):
        vote_as_proxy(question=question, proxy=members[0], member=members[1], choice="for")
    assert not Ballot.objects.filter(question=question).exists()


def test_two_members_cannot_be_each_others_proxy_nor_appoint_one_with_no_ballot_open(
    meeting, members, proxies_allowed, secretary
):
    appoint_proxy(meeting=meeting, member=members[1], proxy=members[0])
    with pytest.raises(GovernanceError, match="appointed you as their proxy"):
        appoint_proxy(meeting=meeting, member=members[0], proxy=members[1])

    close_question(question=meeting.questions.get(), by=secretary)
    with pytest.raises(GovernanceError, match="no ballot open"):
        appoint_proxy(meeting=meeting, member=members[2], proxy=members[3])


def test_only_a_member_on_the_roll_may_look_up_a_proxy_by_email(meeting, members, proxies_allowed, client):
    stranger = board_seat(society=meeting.society, role="treasurer")  # an account with no holding
    client.force_login(stranger)

    known = client.post(f"/account/meetings/{meeting.pk}/proxy/", {"email": members[0].email})
    unknown = client.post(f"/account/meetings/{meeting.pk}/proxy/", {"email": "nobody@example.org"})

    assert (known.status_code, unknown.status_code) == (404, 404)


@pytest.mark.parametrize("year", ["99999", "10000", "0", "²"])
def test_the_public_record_answers_any_year_with_a_page(meeting, client, year):
    response = client.get(f"/decisions/{meeting.society.slug}/", {"year": year})
    assert response.status_code == 200


@pytest.mark.parametrize("query", [{"year": "-1"}, {"year": "99999"}, {"offset": "-5"}, {"offset": "2" * 20}])
def test_the_decisions_api_answers_bad_paging_without_a_server_error(meeting, client, query):
    response = client.get(f"/api/v1/societies/{meeting.society.slug}/decisions/", query)
    assert response.status_code == 200
    assert response.json()["decisions"] == []


def test_another_societys_secretary_is_not_offered_this_societys_questions_to_confirm(meeting, client):
    outsider = board_seat(society=SocietyFactory(), role="secretary")
    client.force_login(outsider)

    page = client.get("/admin/question/new/")

    assert page.status_code == 200
    assert "Approve the accounts" not in page.content.decode()


@pytest.mark.parametrize(
    "title, text, message",
    [
        ("", "That we do it.", "Write the proposal's title"),
        ("T" * 201, "That.", "to 200 characters"),
        ("A title", "  ", "Write the resolution"),
        ("A title", "Nul\x00here", "Write the resolution"),
    ],
)
def test_a_proposal_needs_a_title_that_fits_and_its_words(society, members, title, text, message):
    with pytest.raises(GovernanceError, match=message):
        propose(society=society, holder=members[0], title=title, text=text)
    assert not Proposal.objects.exists()


def test_a_declined_proposal_cannot_be_seconded_and_a_requisition_needs_a_purpose(
    society, members, secretary
):
    proposal = propose(
        society=society, holder=members[0], title="Solar on the school", text="That we fit it."
    )
    Proposal.objects.filter(pk=proposal.pk).update(state=Proposal.State.DECLINED)

    with pytest.raises(GovernanceError, match="can no longer be seconded"):
        second(proposal=proposal, holder=members[1])
    with pytest.raises(GovernanceError, match="Write the purpose"):
        start_requisition(society=society, holder=members[1], purpose=" ")
    assert not proposal.seconders.exists() and not Requisition.objects.exists()
