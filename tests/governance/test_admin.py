"""The board runs meetings in the admin, scoped to its society: the secretary creates a meeting
and its agenda and sends notice, closes the ballots; the chair signs off the minutes as a PDF."""

import datetime

from django.utils import timezone

from governance.models import DecisionEntry, Meeting, Question
from governance.services.meetings import add_question, create_meeting
from governance.services.minutes import save_minutes
from governance.services.voting import vote
from tests import factories
from tests.admin_pages import action_url, refused
from tests.builders import board_seat, pdf_text


def test_a_secretary_calls_an_agm_counts_it_and_the_chair_signs_the_minutes(
    client, society, members, director
):
    secretary = board_seat(society=society, role="secretary")
    client.force_login(secretary)
    starts = timezone.localtime() + datetime.timedelta(days=20)
    response = client.post(
        "/admin/meeting/new/",
        {
            "society": society.pk,
            "kind": "annual",
            "title": "AGM 2026",
            "starts_at": starts.strftime("%Y-%m-%d %H:%M"),
            "record_date": timezone.localdate().isoformat(),
            "location": "The Mill",
            "online_link": "",
            "minutes": "",
        },
    )
    assert response.status_code == 302 and "/admin/meeting/" in response["Location"], response.get("Location")
    meeting = Meeting.objects.get(society=society)
    add_question(meeting=meeting, kind="ordinary", title="Approve the accounts", text="That…", by=secretary)
    assert client.post(action_url("meeting", "send_notice", meeting.pk)).status_code == 302
    meeting.refresh_from_db()
    assert meeting.state == "called" and meeting.roll.count() == 10

    question = meeting.questions.get()
    for member in members[:6]:
        vote(question=question, holder=member, choice="for")
    assert client.post(action_url("meeting", "close_ballots", meeting.pk)).status_code == 302
    assert Question.objects.get(pk=question.pk).passed is True

    save_minutes(meeting=meeting, text="The chair welcomed the members.", by=secretary)
    assert refused(client.post(action_url("meeting", "sign_minutes", meeting.pk)))  # not the chair
    client.force_login(director)
    assert client.post(action_url("meeting", "sign_minutes", meeting.pk)).status_code == 302
    meeting.refresh_from_db()
    assert meeting.state == "closed" and meeting.signed_off_by == director
    with meeting.minutes_pdf.open("rb") as pdf:
        text = pdf_text(pdf.read())
    assert "The chair welcomed the members." in text and "6 for, 0 against" in text
    assert DecisionEntry.objects.filter(society=society, kind="minutes.signed").exists()


def test_another_societys_board_cannot_see_or_run_the_meeting(client, society, members):
    meeting = create_meeting(
        society=society,
        title="AGM",
        starts_at=timezone.now() + datetime.timedelta(days=20),
        record_date=timezone.localdate(),
        location="The Mill",
    )
    client.force_login(board_seat(society=factories.SocietyFactory(), role="secretary"))
    assert "AGM" not in client.get("/admin/meeting/").content.decode()
    assert client.post(action_url("meeting", "send_notice", meeting.pk)).status_code == 404
    assert Meeting.objects.get(pk=meeting.pk).state == "draft"
