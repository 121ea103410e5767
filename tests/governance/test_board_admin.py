"""The board between meetings, in the admin: the secretary uploads a meeting's papers and the
notice carries them; a seconded member's proposal goes on an agenda or is declined with published
reasons; the directors the members elected are given their seats."""

import datetime

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from capital.models import SocietyRole
from governance.errors import GovernanceError
from governance.models import DecisionEntry, MeetingPaper, Proposal, Question
from governance.services.board import add_paper
from governance.services.closing import close_question
from governance.services.meetings import add_question, create_meeting, send_notice, stand
from governance.services.members import propose, second
from governance.services.voting import vote
from tests import factories
from tests.admin_pages import action_url, refused
from tests.builders import board_seat, called_meeting


@pytest.fixture
def secretary(society):
    return board_seat(society=society, role="secretary")


@pytest.fixture
def draft(society):
    return create_meeting(
        society=society,
        title="AGM 2026",
        starts_at=timezone.now() + datetime.timedelta(days=20),
        record_date=timezone.localdate(),
        location="The Mill",
    )


@pytest.fixture
def seconded(society, members):
    proposal = propose(society=society, holder=members[0], title="Plant an orchard", text="That we plant…")
    for member in members[1:3]:
        second(proposal=proposal, holder=member)
    assert Proposal.objects.get(pk=proposal.pk).state == "seconded"
    return proposal


def test_the_secretary_uploads_the_accounts_and_the_notice_carries_them(
    client, society, members, secretary, draft, django_capture_on_commit_callbacks
):
    client.force_login(secretary)
    accounts = SimpleUploadedFile("accounts-2025.pdf", b"%PDF-1.4 the accounts", "application/pdf")
    response = client.post(
        "/admin/meetingpaper/new/", {"meeting": draft.pk, "title": "Accounts 2025", "file": accounts}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    paper = MeetingPaper.objects.get(meeting=draft)
    assert paper.title == "Accounts 2025"
    assert "Accounts 2025" in client.get("/admin/meetingpaper/").content.decode()

    add_question(meeting=draft, kind="ordinary", title="Approve the accounts", text="That…")
    with django_capture_on_commit_callbacks(execute=True):
        send_notice(meeting=draft, by=secretary)
    notice = mail.outbox[0]
    assert "Accounts 2025" in notice.body
    assert ("accounts-2025.pdf", b"%PDF-1.4 the accounts") in [(n, c) for n, c, _ in notice.attachments]


def test_no_paper_is_added_once_the_notice_has_gone_out(client, society, members, secretary):
    meeting = called_meeting(society=society)
    with pytest.raises(GovernanceError, match="notice has gone out"):
        add_paper(meeting=meeting, title="Late", file=SimpleUploadedFile("a.pdf", b"x"), by=secretary)
    client.force_login(secretary)
    response = client.post(
        "/admin/meetingpaper/new/",
        {"meeting": meeting.pk, "title": "Late", "file": SimpleUploadedFile("a.pdf", b"x")},
    )
    assert response.status_code == 200  # the form again: a called meeting is not a choice
    assert not MeetingPaper.objects.exists()


def test_a_paper_cannot_be_changed_in_the_admin(client, secretary, draft):
    paper = add_paper(meeting=draft, title="Accounts", file=SimpleUploadedFile("a.pdf", b"x"), by=secretary)
    client.force_login(secretary)
    assert refused(client.get(f"/admin/meetingpaper/edit/{paper.pk}/"))


def test_a_seconded_proposal_is_put_on_the_next_meetings_agenda_from_the_admin(
    client, society, secretary, draft, seconded
):
    client.force_login(secretary)
    assert "Plant an orchard" in client.get("/admin/proposal/").content.decode()
    response = client.post(action_url("proposal", "agenda", seconded.pk), {"meeting": draft.pk})
    assert response.status_code == 302
    question = Question.objects.get(meeting=draft)
    assert (question.proposal, question.title, question.kind) == (seconded, "Plant an orchard", "ordinary")
    assert Proposal.objects.get(pk=seconded.pk).state == "on_agenda"
    entry = DecisionEntry.objects.get(society=society, kind="proposal.on_agenda")
    assert "Plant an orchard" in entry.summary and entry.data["meeting"] == draft.pk


def test_the_board_declines_a_seconded_proposal_publishing_its_reasons(client, society, director, seconded):
    client.force_login(director)
    response = client.post(
        action_url("proposal", "decline", seconded.pk), {"reasons": "The land is leased, not ours."}
    )
    assert response.status_code == 302
    assert Proposal.objects.get(pk=seconded.pk).state == "declined"
    entry = DecisionEntry.objects.get(society=society, kind="proposal.declined")
    assert "The land is leased, not ours." in entry.summary


def test_a_proposal_still_waiting_for_seconders_is_not_the_boards_to_decide(
    client, society, members, secretary, draft
):
    proposal = propose(society=society, holder=members[0], title="Paint it blue", text="That…")
    client.force_login(secretary)
    response = client.post(action_url("proposal", "agenda", proposal.pk), {"meeting": draft.pk})
    assert response.status_code == 200 and "no longer applies" in response.content.decode()
    assert Proposal.objects.get(pk=proposal.pk).state == "seconding"
    assert not Question.objects.filter(meeting=draft).exists()


def test_a_meeting_of_another_society_cannot_take_the_proposal(client, secretary, seconded):
    other = create_meeting(
        society=factories.SocietyFactory(),
        title="Theirs",
        starts_at=timezone.now() + datetime.timedelta(days=20),
        record_date=timezone.localdate(),
        location="Elsewhere",
    )
    client.force_login(secretary)
    response = client.post(action_url("proposal", "agenda", seconded.pk), {"meeting": other.pk})
    assert response.status_code == 200  # not one of the choices
    assert Proposal.objects.get(pk=seconded.pk).state == "seconded"


@pytest.fixture
def counted_election(society, members):
    meeting = called_meeting(society=society, questions=[("election", "Elect directors", 2)])
    election = meeting.questions.get()
    for member in members[:3]:
        member.user = factories.UserFactory(email=member.email)
        member.save()
    a, b, c = (stand(question=election, holder=m) for m in members[:3])
    for voter, choice in zip(members[3:], [[a.pk, b.pk], [a.pk, b.pk], [a.pk, c.pk], [b.pk]], strict=False):
        vote(question=election, holder=voter, candidates=choice)
    return close_question(question=election)


def test_a_director_gives_the_elected_their_seats_and_each_is_recorded(
    client, society, members, director, counted_election
):
    assert counted_election.result["elected"] == sorted(
        counted_election.candidates.filter(member__holder__in=members[:2]).values_list("pk", flat=True)
    )
    client.force_login(director)
    assert client.post(action_url("question", "seat", counted_election.pk)).status_code == 302
    seated = SocietyRole.objects.filter(society=society, role="director", user__holder__in=members[:3])
    assert sorted(seat.user.holder.name for seat in seated) == ["Member 0", "Member 1"]
    appointed = DecisionEntry.objects.filter(society=society, kind="board.appointed")
    elected_users = {members[0].user_id, members[1].user_id}
    assert {e.data["user"] for e in appointed} == {director.pk, *elected_users}
    assert all(e.data["role"] == "director" for e in appointed) and appointed.count() == 3
    # Once seated, the action is no longer offered; a second post changes nothing.
    response = client.post(action_url("question", "seat", counted_election.pk))
    assert response.status_code == 200 and "no longer applies" in response.content.decode()
    assert appointed.count() == 3


def test_the_record_names_an_elected_member_by_their_register_name_never_their_login(
    client, society, members, director, counted_election
):
    user = members[0].user
    user.username, user.first_name, user.last_name = "member0@example.org", "", ""
    user.save()
    client.force_login(director)
    client.post(action_url("question", "seat", counted_election.pk))
    summaries = DecisionEntry.objects.filter(society=society, kind="board.appointed").values_list(
        "summary", flat=True
    )
    assert any(summary.startswith("Member 0 appointed director") for summary in summaries)
    assert not any("@" in summary for summary in summaries)


def test_an_elected_member_without_an_account_stops_the_seats_being_given(
    client, society, members, director, counted_election
):
    members[1].user = None
    members[1].save()
    client.force_login(director)
    response = client.post(action_url("question", "seat", counted_election.pk))
    assert response.status_code == 200 and "Member 1 cannot take a seat yet" in response.content.decode()
    assert not SocietyRole.objects.filter(society=society, user__holder__in=members[:3]).exists()


def test_only_a_director_gives_seats(client, society, secretary, counted_election):
    client.force_login(secretary)
    assert refused(client.post(action_url("question", "seat", counted_election.pk)))
    assert not SocietyRole.objects.filter(society=society, role="director").exclude(user=secretary).exists()


def test_the_secretary_records_votes_in_the_room_for_members_present(client, society, members, secretary):
    meeting = called_meeting(
        society=society, questions=[("ordinary", "Approve the accounts"), ("election", "Elect directors", 2)]
    )
    resolution, election = meeting.questions.order_by("number")
    candidate = stand(question=election, holder=members[5])
    vote(question=resolution, holder=members[1], choice="for")
    entry, online = (meeting.roll.get(holder=m) for m in members[:2])
    client.force_login(secretary)

    url = action_url("rollentry", "vote_in_room", entry.pk)
    assert client.post(url, {"question": resolution.pk, "choice": "against"}).status_code == 302
    assert client.post(url, {"question": election.pk, "candidates": [candidate.pk]}).status_code == 302
    ballots = {b.question_id: b for b in entry.ballots.all()}
    assert (ballots[resolution.pk].choice, ballots[resolution.pk].method) == ("against", "in_room")
    assert ballots[election.pk].candidates == [candidate.pk]
    entry.refresh_from_db()
    assert entry.present

    # A member who voted online keeps their vote: the resolution is not offered for them.
    response = client.post(
        action_url("rollentry", "vote_in_room", online.pk), {"question": resolution.pk, "choice": "against"}
    )
    assert response.status_code == 200
    assert online.ballots.get().choice == "for"


def test_only_the_secretary_records_a_vote_in_the_room(client, society, members, director):
    meeting = called_meeting(society=society)
    entry = meeting.roll.get(holder=members[0])
    client.force_login(director)
    url = action_url("rollentry", "vote_in_room", entry.pk)
    assert refused(client.post(url, {"question": meeting.questions.get().pk, "choice": "for"}))
    assert not entry.ballots.exists()
