"""The minutes of a general meeting: written by the secretary with every result, signed off by
the chair (a director), stored as a PDF and recorded with the PDF's SHA-256."""

import hashlib

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from capital import permissions
from governance.errors import GovernanceError
from governance.models import Meeting, Question
from governance.services.record import decided_by_name, record
from shares.documents import render_pdf


def save_minutes(*, meeting: Meeting, text: str, by=None) -> Meeting:
    permissions.require(by, "run_meetings", meeting.society)
    with transaction.atomic():
        meeting = Meeting.objects.select_for_update().get(pk=meeting.pk)
        if meeting.state == Meeting.State.CLOSED:
            raise GovernanceError("The minutes are signed off: they can no longer change.")
        meeting.minutes = text
        meeting.save(update_fields=["minutes"])
    return meeting


def sign_off_minutes(*, meeting: Meeting, by=None) -> Meeting:
    permissions.require(by, "sign_minutes", meeting.society)
    now = timezone.now()
    with transaction.atomic():
        meeting = Meeting.objects.select_for_update().select_related("society").get(pk=meeting.pk)
        if meeting.questions.filter(state=Question.State.OPEN).exists():
            raise GovernanceError("Close every ballot of the meeting before the minutes are signed off.")
        if not meeting.minutes.strip():
            raise GovernanceError("The secretary writes the minutes first.")
        meeting.transition_to(Meeting.State.CLOSED)
        chair = decided_by_name(by) or "the chair"
        pdf = render_pdf(
            "pdf/minutes.html",
            {
                "meeting": meeting,
                "society": meeting.society,
                "questions": list(meeting.questions.all()),
                "chair": chair,
                "signed_at": now,
                "roll": meeting.roll.count(),
                "present": meeting.roll.filter(present=True).count(),
            },
        )
        meeting.minutes_pdf.save(
            f"minutes-{meeting.society.slug}-{meeting.pk}.pdf", ContentFile(pdf), save=False
        )
        meeting.signed_off_by, meeting.signed_off_at = by, now
        meeting.save(update_fields=["state", "minutes_pdf", "signed_off_by", "signed_off_at"])
        record(
            society=meeting.society,
            kind="minutes.signed",
            summary=(
                f"The minutes of {meeting.title} ({meeting.starts_at:%d %B %Y}) were signed off by {chair}."
            ),
            decided_on=timezone.localdate(now),
            decided_by=chair,
            data={"meeting": meeting.pk, "minutes_sha256": hashlib.sha256(pdf).hexdigest()},
        )
    return meeting
