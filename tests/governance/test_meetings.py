"""Calling a meeting: notice by the rules, emailed to every member on the roll with an .ics;
members' proposals with seconders, and requisitions."""

import datetime

import icalendar
import pytest
from django.core import mail
from django.utils import timezone

from governance.errors import GovernanceError, NotOnRoll
from governance.models import DecisionEntry, Meeting, Proposal, Requisition
from governance.services.meetings import add_question, create_meeting, send_notice
from governance.services.members import decline_proposal, propose, second, sign_requisition, start_requisition
from tests import factories


def draft(society, days):
    meeting = create_meeting(
        society=society,
        title="AGM 2026",
        starts_at=timezone.now() + datetime.timedelta(days=days),
        record_date=timezone.localdate(),
        location="The Mill",
    )
    add_question(
        meeting=meeting, kind="ordinary", title="Approve the accounts", text="That the accounts be approved."
    )
    return meeting


def test_notice_shorter_than_the_rules_allow_is_refused(society, members):
    with pytest.raises(GovernanceError, match="14 clear days"):
        send_notice(meeting=draft(society, 14))
    assert Meeting.objects.get().state == "draft"


def test_notice_goes_to_every_member_on_the_roll_with_an_invitation(
    society, members, investor_only, django_capture_on_commit_callbacks
):
    secretary = factories.UserFactory()
    factories.SocietyRoleFactory(society=society, user=secretary, role="secretary")
    with django_capture_on_commit_callbacks(execute=True):
        meeting = send_notice(meeting=draft(society, 16), by=secretary)
    assert sorted(m.to[0] for m in mail.outbox) == sorted(m.email for m in members)
    assert investor_only.email not in {m.to[0] for m in mail.outbox}
    notice = mail.outbox[0]
    assert "Approve the accounts" in notice.body and "receipt code" in notice.body
    name, ics, kind = notice.attachments[0]
    assert (name, kind) == ("meeting.ics", "text/calendar")
    event = icalendar.Calendar.from_ical(ics).walk("VEVENT")[0]
    assert event.decoded("dtstart") == meeting.starts_at.replace(microsecond=0)
    meeting.refresh_from_db()
    assert (meeting.notices_total, meeting.notices_sent, meeting.state) == (10, 10, "called")


def test_only_the_secretary_calls_a_meeting(society, members, director):
    with pytest.raises(Exception, match="Only a secretary"):
        send_notice(meeting=draft(society, 20), by=director)


def test_a_proposal_needs_the_rules_seconders_then_the_board_decides_in_public(
    society, members, investor_only, director
):
    proposal = propose(
        society=society, holder=members[0], title="Plant an orchard", text="That we plant an orchard."
    )
    with pytest.raises(NotOnRoll):
        second(proposal=proposal, holder=investor_only)
    with pytest.raises(GovernanceError, match="own proposal"):
        second(proposal=proposal, holder=members[0])
    assert second(proposal=proposal, holder=members[1]).state == Proposal.State.SECONDING
    assert second(proposal=proposal, holder=members[2]).state == Proposal.State.SECONDED
    decline_proposal(
        proposal=proposal, reasons="The land is leased; we will ask the landlord first.", by=director
    )
    entry = DecisionEntry.objects.get(kind="proposal.declined")
    assert "ask the landlord" in entry.summary


def test_an_investor_cannot_propose(society, investor_only):
    with pytest.raises(NotOnRoll, match="Investor shares never carry a vote"):
        propose(society=society, holder=investor_only, title="Pay more", text="That we pay investors more.")


def test_a_requisition_met_is_recorded_and_the_meeting_it_asks_for_called(society, members):
    requisition = start_requisition(society=society, holder=members[0], purpose="To discuss the new site.")
    for member in members[1:9]:
        sign_requisition(requisition=requisition, holder=member)
    assert Requisition.objects.get().state == Requisition.State.SIGNING
    sign_requisition(requisition=requisition, holder=members[9])
    assert Requisition.objects.get().state == Requisition.State.MET
    assert DecisionEntry.objects.get(kind="meeting.requisitioned").data["signatures"] == 10
    create_meeting(
        society=society,
        kind="special",
        title="Special meeting",
        starts_at=timezone.now() + datetime.timedelta(days=20),
        record_date=timezone.localdate(),
        location="The Mill",
        requisition=requisition,
    )
    assert Requisition.objects.get().state == Requisition.State.CALLED
