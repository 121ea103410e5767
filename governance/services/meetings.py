"""Calling a general meeting: the meeting and its agenda, the roll at the record date, the notice."""

import datetime

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django_tasks import task

from capital import permissions
from governance.errors import GovernanceError
from governance.models import (
    Ballot,
    Candidate,
    GovernanceRules,
    Meeting,
    Proposal,
    Question,
    Requisition,
    RollEntry,
)
from governance.services.closing import schedule_closing
from shares.models import Holder
from shares.notify import holder_message, send_now
from shares.services.membership import voting_roll

S111_CONFIRMATION_EARLIEST = datetime.timedelta(days=14)


def create_meeting(
    *,
    society,
    title,
    starts_at,
    record_date,
    kind=Meeting.Kind.ANNUAL,
    location="",
    online_link="",
    by=None,
    requisition=None,
) -> Meeting:
    permissions.require(by, "run_meetings", society)
    if not (location or online_link):
        raise GovernanceError("Say where the meeting is held, or give its online link, or both.")
    if record_date > starts_at.date():
        raise GovernanceError("The record date must be on or before the day of the meeting.")
    with transaction.atomic():
        meeting = Meeting.objects.create(
            society=society,
            kind=kind,
            title=title,
            starts_at=starts_at,
            record_date=record_date,
            location=location,
            online_link=online_link,
            requisition=requisition,
        )
        if requisition is not None:
            requisition = Requisition.objects.select_for_update().get(pk=requisition.pk)
            requisition.transition_to(Requisition.State.CALLED)
            requisition.save(update_fields=["state"])
    return meeting


def add_question(
    *, meeting, kind, title, text, seats=1, confirms=None, proposal=None, voting_closes_at=None, by=None
) -> Question:
    """Put a resolution or an election on the agenda (before the notice goes out)."""
    permissions.require(by, "propose_resolutions", meeting.society)
    with transaction.atomic():
        meeting = Meeting.objects.select_for_update().get(pk=meeting.pk)
        if meeting.state != Meeting.State.DRAFT:
            raise GovernanceError("The notice has gone out: the agenda can no longer change.")
        if kind == Question.Kind.S111_CONFIRMATION:
            _check_confirmation(meeting, confirms)
        elif confirms is not None:
            raise GovernanceError("Only an s.111 confirmation confirms an earlier resolution.")
        if proposal is not None:
            proposal = Proposal.objects.select_for_update().get(pk=proposal.pk)
            proposal.transition_to(Proposal.State.ON_AGENDA)
            proposal.save(update_fields=["state"])
        number = meeting.questions.count() + 1
        return Question.objects.create(
            meeting=meeting,
            number=number,
            kind=kind,
            title=title,
            text=text,
            seats=seats,
            confirms=confirms,
            proposal=proposal,
            voting_closes_at=voting_closes_at,
        )


def _check_confirmation(meeting: Meeting, first: Question | None) -> None:
    """s.111: confirmed at a second general meeting held 14 days to one month after the first."""
    first = Question.objects.select_related("meeting").filter(pk=getattr(first, "pk", None)).first()
    if first is None or first.kind != Question.Kind.S111:
        raise GovernanceError("Name the s.111 resolution passed at the first meeting that this confirms.")
    if first.meeting.society_id != meeting.society_id:
        raise GovernanceError("The resolution confirmed must be this society's.")
    if first.state != Question.State.CLOSED or not first.passed:
        raise GovernanceError("Only an s.111 resolution that passed at the first meeting can be confirmed.")
    first_day = first.meeting.starts_at.date()
    second_day = meeting.starts_at.date()
    latest = _one_month_after(first_day)
    if not (first_day + S111_CONFIRMATION_EARLIEST <= second_day <= latest):
        raise GovernanceError(
            f"The confirming meeting must be held between {first_day + S111_CONFIRMATION_EARLIEST:%d %B %Y} "
            f"and {latest:%d %B %Y} (14 days to one month after the first meeting)."
        )


def _one_month_after(day: datetime.date) -> datetime.date:
    year, month = (day.year + 1, 1) if day.month == 12 else (day.year, day.month + 1)
    for last in (day.day, 30, 29, 28):
        try:
            return datetime.date(year, month, last)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def take_roll(meeting: Meeting) -> int:
    """The members on the register at the end of the record date, once; returns the roll's size."""
    if meeting.roll.exists():
        return meeting.roll.count()
    RollEntry.objects.bulk_create(
        [
            RollEntry(meeting=meeting, holder=voter.holder)
            for voter in voting_roll(meeting.society, meeting.record_date)
        ]
    )
    return meeting.roll.count()


def clear_days(sent: datetime.date, held: datetime.date) -> int:
    return (held - sent).days - 1


def send_notice(*, meeting: Meeting, by=None, now=None) -> Meeting:
    """Call the meeting: take the roll, email every member on it (a background job) and schedule
    each ballot's closing at its closing time. Refused
    if the notice would be shorter than the rules allow or the record date is still to come."""
    permissions.require(by, "run_meetings", meeting.society)
    now = now or timezone.now()
    rules = GovernanceRules.of(meeting.society)
    with transaction.atomic():
        meeting = Meeting.objects.select_for_update().get(pk=meeting.pk)
        days = clear_days(timezone.localdate(now), timezone.localtime(meeting.starts_at).date())
        if days < rules.notice_clear_days:
            raise GovernanceError(
                f"The rules ask for {rules.notice_clear_days} clear days' notice; sent today it would "
                f"give {max(days, 0)}. Move the meeting later."
            )
        if meeting.record_date > timezone.localdate(now):
            raise GovernanceError("The record date is still to come: send the notice on or after it.")
        if not meeting.questions.exists():
            raise GovernanceError("Put at least one resolution or election on the agenda first.")
        meeting.transition_to(Meeting.State.CALLED)
        meeting.notice_sent_at = now
        meeting.notices_total = take_roll(meeting)
        meeting.save(update_fields=["state", "notice_sent_at", "notices_total"])
        transaction.on_commit(lambda: send_notices.enqueue(meeting.pk))
        transaction.on_commit(lambda: schedule_closing(meeting), robust=True)
    return meeting


@task(queue_name="mail")
def send_notices(meeting_id: int) -> int:
    """Email the notice, with its .ics invitation, to every member on the roll not yet sent it."""
    from governance.notice import notice_email

    meeting = Meeting.objects.select_related("society").get(pk=meeting_id)
    entries = meeting.roll.select_related("holder").order_by("pk")[meeting.notices_sent :]
    for entry in entries:
        send_now(notice_email(meeting, entry.holder, holder_message))
        Meeting.objects.filter(pk=meeting.pk).update(notices_sent=F("notices_sent") + 1)
    return meeting.roll.count()


def why_no_one_can_stand(question: Question, now=None) -> str:
    """Why members can no longer stand in this election ("" while they can)."""
    now = now or timezone.now()
    if question.state != Question.State.OPEN:
        return "This election has closed."
    if question.voting_closes_at is not None and now >= question.voting_closes_at:
        return "Online voting in this election has closed, so no one can stand now."
    if Ballot.objects.filter(question=question).exists():
        return "Members have already voted in this election, so no one can stand now."
    return ""


def stand(*, question: Question, holder: Holder, statement: str = "", now=None) -> Candidate:
    """A member stands for election. Only a member on the meeting's roll may, and only before
    anyone has voted in it: a ballot already cast could not have chosen them."""
    now = now or timezone.now()
    if not question.is_election:
        raise GovernanceError("Members stand for elections, not resolutions.")
    entry = RollEntry.objects.filter(meeting=question.meeting_id, holder=holder).first()
    if entry is None:
        raise GovernanceError("Only a member on the roll at the record date may stand.")
    why_not = why_no_one_can_stand(question, now)
    if why_not:
        raise GovernanceError(why_not)
    candidate, _ = Candidate.objects.get_or_create(
        question=question, member=entry, defaults={"statement": statement}
    )
    return candidate
