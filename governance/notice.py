"""The notice of a general meeting: the email every member on the roll gets, with an .ics."""

import datetime

import icalendar
from django.conf import settings
from django.urls import reverse

from governance.models import Meeting


def invitation(meeting: Meeting) -> bytes:
    """An iCalendar invitation for the meeting (two hours, unless the calendar says otherwise)."""
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//Commonshare//General meetings//EN")
    calendar.add("version", "2.0")
    event = icalendar.Event()
    event.add("uid", f"meeting-{meeting.pk}@{meeting.society.slug}.commonshare")
    event.add("summary", f"{meeting.society.name}: {meeting.title}")
    event.add("dtstart", meeting.starts_at)
    event.add("dtend", meeting.starts_at + datetime.timedelta(hours=2))
    event.add("dtstamp", meeting.notice_sent_at or meeting.starts_at)
    event.add("location", meeting.location or meeting.online_link)
    if meeting.online_link:
        event.add("url", meeting.online_link)
    event.add("description", "\n".join(str(q) for q in meeting.questions.all()))
    calendar.add_component(event)
    return calendar.to_ical()


def notice_email(meeting: Meeting, holder, build):
    """The notice for one member (`build` is `shares.notify.holder_message`)."""
    rules = meeting.society.governance_rules
    base = settings.WAGTAILADMIN_BASE_URL.rstrip("/")
    email = build(
        holder=holder,
        template="governance/email/notice",
        subject=f"Notice of {meeting.title}, {meeting.society.name}",
        meeting=meeting,
        questions=list(meeting.questions.all()),
        papers=list(meeting.papers.all()),
        rules=rules,
        vote_url=base + reverse("governance:ballots"),
        record_url=base + reverse("governance:decisions", args=[meeting.society.slug]),
    )
    email.attach("meeting.ics", invitation(meeting), "text/calendar")
    for paper in meeting.papers.all():
        with paper.file.open("rb") as data:
            email.attach(paper.file.name.rsplit("/", 1)[-1], data.read())
    return email
