"""The demo society's general meetings, added when `manage.py load_demo` announces the demo
(`capital.signals.demo_loaded`): last autumn's AGM, held, counted and minuted, with its results
in the decision record, and a special general meeting whose ballot is open now.

Everything goes through the real services (notice, votes online and in the room, the count, the
minutes), with the dates of the story. Each meeting is added only if missing, so running the demo
again changes nothing. Loading the demo emails no one: its notices count as sent at the time.
"""

import datetime

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from capital.models import SocietyRole
from governance.models import Meeting
from governance.services.closing import close_question
from governance.services.meetings import add_question, create_meeting, send_notice
from governance.services.minutes import save_minutes, sign_off_minutes
from governance.services.voting import record_in_room, vote
from shares.models import Holder

PAST_AGM = "Annual general meeting 2025"
OPEN_MEETING = "Special general meeting: battery storage"
PLACE = "The Old Mill, Mill Lane, Hebden Bridge HX7 8AA"

# (kind, title, text) and each voter's choice, by email: online before the meeting, or in the room.
PAST_QUESTIONS = [
    (
        "ordinary",
        "Appoint the examiners of the accounts",
        "That Calder Accountants LLP be appointed to examine the society's accounts for the year "
        "to 31 March 2026.",
    ),
    (
        "special",
        "Cap the interest on community shares",
        "That the interest paid on community shares shall never exceed 3% a year.",
    ),
    (
        "ordinary",
        "Sponsor the Hebden Bridge fun run",
        "That the society gives £500 of its surplus to sponsor the Hebden Bridge fun run.",
    ),
]
ONLINE = {
    "alice@example.org": ("for", "for", "against"),
    "bilal@example.org": ("for", "for", "for"),
    "carys@example.org": ("for", "abstain", "against"),
}
IN_THE_ROOM = {
    "dev@example.org": ("for", "for", "against"),
    "erin@example.org": ("against", "for", "for"),
}
MINUTES = (
    "The chair, Dina Okafor, welcomed the members to the society's first annual general meeting "
    "and declared it quorate. The secretary reported the founding offer: £18,750 raised from six "
    "members. The members voted on the three resolutions in the notice; the results are below. "
    "The meeting closed at 20:15."
)
OPEN_QUESTION = (
    "ordinary",
    "Buy battery storage for the Old Mill",
    "That the board spends up to £40,000 of the solar roofs offer on battery storage at the Old "
    "Mill, so that the panels' power is used by the mill at night.",
)
OPEN_VOTES = {"bilal@example.org": "for", "dev@example.org": "against"}


def add_demo_meetings(sender, society, **kwargs) -> int:
    """`demo_loaded`'s receiver: the meetings of the demo society that are missing; returns how many."""
    added = 0
    with transaction.atomic():
        if not Meeting.objects.filter(society=society, title=PAST_AGM).exists():
            _past_agm(society)
            added += 1
        if not Meeting.objects.filter(society=society, title=OPEN_MEETING).exists():
            _open_meeting(society)
            added += 1
    return added


def _board(society, role):
    seat = SocietyRole.objects.filter(society=society, role=role).select_related("user").first()
    return seat.user if seat else None


def _aware(day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


def _called(meeting: Meeting, *, now) -> Meeting:
    """Send the notice as at `now`, and count it as sent then: the demo emails no one today."""
    meeting = send_notice(meeting=meeting, by=_board(meeting.society, SocietyRole.Role.SECRETARY), now=now)
    Meeting.objects.filter(pk=meeting.pk).update(notices_sent=F("notices_total"))
    return meeting


def _past_agm(society) -> Meeting:
    secretary = _board(society, SocietyRole.Role.SECRETARY)
    held = datetime.date(2025, 10, 30)
    noticed = _aware(datetime.date(2025, 10, 1), 10)
    meeting = create_meeting(
        society=society,
        title=PAST_AGM,
        starts_at=_aware(held, 18, 30),
        record_date=noticed.date(),
        location=PLACE,
        by=secretary,
    )
    questions = [
        add_question(meeting=meeting, kind=kind, title=title, text=text, by=secretary)
        for kind, title, text in PAST_QUESTIONS
    ]
    meeting = _called(meeting, now=noticed)
    for days, (email, choices) in enumerate(ONLINE.items(), start=3):
        holder = Holder.objects.get(email=email)
        for question, choice in zip(questions, choices, strict=True):
            vote(question=question, holder=holder, choice=choice, now=noticed + datetime.timedelta(days=days))
    in_the_room = _aware(held, 19)
    for email, choices in IN_THE_ROOM.items():
        holder = Holder.objects.get(email=email)
        for question, choice in zip(questions, choices, strict=True):
            record_in_room(question=question, holder=holder, choice=choice, by=secretary, now=in_the_room)
    closed_at = _aware(held, 20, 10)
    for question in questions:
        close_question(question=question, by=secretary, now=closed_at)
    save_minutes(meeting=meeting, text=MINUTES, by=secretary)
    return sign_off_minutes(meeting=meeting, by=_board(society, SocietyRole.Role.DIRECTOR))


def _open_meeting(society) -> Meeting:
    secretary = _board(society, SocietyRole.Role.SECRETARY)
    now = timezone.now()
    starts = _aware(timezone.localdate(now) + datetime.timedelta(days=30), 19)
    meeting = create_meeting(
        society=society,
        kind=Meeting.Kind.SPECIAL,
        title=OPEN_MEETING,
        starts_at=starts,
        record_date=timezone.localdate(now),
        location=PLACE,
        online_link="https://meet.example.org/riverside-energy",
        by=secretary,
    )
    kind, title, text = OPEN_QUESTION
    question = add_question(
        meeting=meeting,
        kind=kind,
        title=title,
        text=text,
        voting_closes_at=starts - datetime.timedelta(hours=2),
        by=secretary,
    )
    meeting = _called(meeting, now=now)
    for email, choice in OPEN_VOTES.items():
        vote(question=question, holder=Holder.objects.get(email=email), choice=choice, now=now)
    return meeting
