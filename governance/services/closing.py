"""Closing a ballot: count it, keep the result, and put it in the decision record.

The decision entry carries everything needed to recount it: the rules that applied, the roll's
size, the members present without a ballot, and every counted ballot by the hash of its receipt
(or, for a recorded vote, by the voter's name) with its choice. `verify_decisions` recounts the
stored ballots and checks them against it.
"""

import logging

from django.db import transaction
from django.utils import timezone
from django_tasks import task

from capital import permissions
from governance import tally
from governance.errors import GovernanceError
from governance.models import Ballot, Candidate, GovernanceRules, Meeting, Question
from governance.services.record import decided_by_name, record

logger = logging.getLogger(__name__)

RULE_FIELDS = (
    "quorum_members",
    "quorum_percent",
    "quorum_rule",
    "special_threshold_percent",
    "abstentions_are_cast",
    "recorded_votes",
)


def rules_snapshot(rules: GovernanceRules) -> dict:
    return {
        field: str(getattr(rules, field)) if field.endswith("percent") else getattr(rules, field)
        for field in RULE_FIELDS
    }


def counted_ballots(question: Question, *, recorded: bool) -> list[list]:
    """[receipt hash (or name), choice] for every ballot, in receipt-hash order."""
    rows = Ballot.objects.filter(question=question).order_by("receipt_hash")
    if recorded:
        rows = rows.select_related("voter__holder")
    return [
        [
            b.voter.holder.name if recorded else b.receipt_hash,
            b.candidates if b.choice == Ballot.Choice.CANDIDATES else b.choice,
        ]
        for b in rows
    ]


def present_without_ballot(question: Question) -> int:
    return question.meeting.roll.filter(present=True).exclude(ballots__question=question).count()


def close_question(*, question: Question, by=None, now=None) -> Question:
    """Close the ballot and count it (the secretary at the meeting, or the task at the closing time)."""
    permissions.require(by, "run_meetings", question.meeting.society)
    now = now or timezone.now()
    with transaction.atomic():
        question = Question.objects.select_for_update().select_related("meeting__society").get(pk=question.pk)
        if question.state != Question.State.OPEN:
            raise GovernanceError("This ballot is already closed and counted.")
        meeting = question.meeting
        if meeting.state == Meeting.State.DRAFT:
            raise GovernanceError("The meeting has not been called: there is nothing to count.")
        rules = rules_snapshot(GovernanceRules.of(meeting.society))
        ballots = counted_ballots(question, recorded=rules["recorded_votes"])
        roll_size = meeting.roll.count()
        present = present_without_ballot(question)
        result = tally.count(
            kind=question.kind,
            rules=rules,
            roll_size=roll_size,
            present=present,
            ballots=ballots,
            seats=question.seats,
        )
        question.state, question.result, question.passed = Question.State.CLOSED, result, result["passed"]
        question.save(update_fields=["state", "result", "passed"])
        record(
            society=meeting.society,
            kind=_kind(question, result),
            summary=_summary(question, result),
            decided_on=timezone.localdate(now),
            decided_by="the members",
            question=question,
            data={
                "meeting": meeting.title,
                "meeting_date": timezone.localtime(meeting.starts_at).date().isoformat(),
                "record_date": meeting.record_date.isoformat(),
                "question": question.number,
                "question_kind": question.kind,
                "title": question.title,
                "text": question.text,
                "seats": question.seats,
                "candidates": _candidates(question),
                "closed_by": decided_by_name(by),
                "rules": rules,
                "ballots": ballots,
                "result": result,
            },
        )
        if meeting.state == Meeting.State.CALLED:
            meeting.transition_to(Meeting.State.HELD)
            meeting.save(update_fields=["state"])
    return question


def _kind(question: Question, result: dict) -> str:
    if question.is_election:
        return "election.result"
    return "resolution.passed" if result["passed"] else "resolution.failed"


def _candidates(question: Question) -> dict:
    return {
        str(c.pk): c.member.holder.name
        for c in Candidate.objects.filter(question=question).select_related("member__holder")
    }


def _summary(question: Question, result: dict) -> str:
    if question.is_election:
        names = _candidates(question)
        elected = ", ".join(names[str(c)] for c in result["elected"]) or "nobody"
        lot = " (a tie for the last seat drawn by lot)" if result["drawn_by_lot"] else ""
        return f"{question.title}: the members elected {elected}{lot}."
    verdict = "passed" if result["passed"] else "did not pass"
    why = "" if result["quorate"] else " (the meeting was not quorate)"
    return (
        f"{question.get_kind_display()} {question.title!r} {verdict}{why}: {result['for']} for, "
        f"{result['against']} against, {result['abstain']} abstaining; it needed {result['threshold']}."
    )


def close_if_due(*, question_id: int, now=None) -> Question | None:
    """Close and count one ballot if its closing time has passed and it is still open; otherwise
    do nothing. Safe to run twice, or after the secretary closed it at the meeting: the question
    is locked and its state read again inside the lock, so it is counted once."""
    now = now or timezone.now()
    with transaction.atomic():
        question = (
            Question.objects.select_for_update()
            .filter(pk=question_id, state=Question.State.OPEN, voting_closes_at__lte=now)
            .exclude(meeting__state=Meeting.State.DRAFT)
            .first()
        )
        if question is None:
            return None
        return close_question(question=question, now=now)


@task()
def close_at_closing_time(question_id: int) -> bool:
    """Run at a ballot's closing time (scheduled when the notice goes out): count it, once."""
    return close_if_due(question_id=question_id) is not None


def schedule_closing(meeting: Meeting) -> int:
    """After the notice commits: one task per question with a closing time, to run at that time.
    A backend that cannot defer work (the immediate one) is told nothing: the secretary closes
    those ballots at the meeting. Returns how many were scheduled."""
    if not close_at_closing_time.get_backend().supports_defer:
        logger.warning("The task backend cannot run work later: %s's ballots close at the meeting.", meeting)
        return 0
    due = meeting.questions.filter(state=Question.State.OPEN, voting_closes_at__isnull=False)
    scheduled = list(due.values_list("pk", "voting_closes_at"))
    for question_id, closes in scheduled:
        close_at_closing_time.using(run_after=closes).enqueue(question_id)
    return len(scheduled)


def close_due(now=None) -> list[Question]:
    """Close every ballot whose closing time has passed (a catch-up for any task that was lost)."""
    now = now or timezone.now()
    due = Question.objects.filter(state=Question.State.OPEN, voting_closes_at__lte=now).exclude(
        meeting__state=Meeting.State.DRAFT
    )
    closed = (close_if_due(question_id=pk, now=now) for pk in due.values_list("pk", flat=True))
    return [q for q in closed if q is not None]
