"""What the public pages, the API and the member's screen read (no writes here)."""

from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone

from capital.models import Society
from governance.models import Ballot, DecisionEntry, Meeting, Proposal, Question, Requisition, RollEntry
from governance.services.record import chain_head


def society_or_404(slug: str) -> Society:
    return get_object_or_404(Society, slug=slug)


def decisions(society: Society, *, kind: str = "", year: int | None = None) -> QuerySet:
    """The society's decision record, newest first; `kind` matches a kind or its family
    ("resolution" matches resolution.passed and resolution.failed)."""
    entries = DecisionEntry.objects.filter(society=society).order_by("-sequence")
    if kind:
        entries = entries.filter(Q(kind=kind) | Q(kind__startswith=f"{kind}."))
    if year is not None:
        if not 1 <= year <= 9999:  # no date has such a year: nothing was decided in it
            return entries.none()
        entries = entries.filter(decided_on__year=year)
    return entries


def kinds(society: Society) -> list[str]:
    return sorted(
        {
            k.split(".")[0]
            for k in DecisionEntry.objects.filter(society=society).values_list("kind", flat=True)
        }
    )


def years(society: Society) -> list[int]:
    return sorted(
        {d.year for d in DecisionEntry.objects.filter(society=society).values_list("decided_on", flat=True)},
        reverse=True,
    )


def head(society: Society):
    return chain_head(society)


def member_societies(holder) -> QuerySet:
    """The societies `holder` holds membership shares in today (one member, one vote)."""
    if holder is None:
        return Society.objects.none()
    return Society.objects.filter(
        share_classes__confers_membership=True,
        share_classes__holdings__holder=holder,
        share_classes__holdings__shares__gt=0,
    ).distinct()


def member_view(holder):
    """A member's governance screen: meetings to come, ballots to cast, receipts, proposals to second."""
    if holder is None:
        return {"holder": None}
    entries = RollEntry.objects.filter(holder=holder).select_related(
        "meeting__society__governance_rules", "proxy__holder"
    )
    meetings = []
    for entry in entries:
        if entry.meeting.state in (Meeting.State.CALLED, Meeting.State.HELD):
            entry.meeting.my_entry = entry  # whom the member appointed their proxy, if anyone
            meetings.append(entry.meeting)
    open_questions = (
        Question.objects.filter(
            meeting__roll__holder=holder, state=Question.State.OPEN, meeting__state__in=["called", "held"]
        )
        .select_related("meeting__society")
        .prefetch_related("candidates__member__holder")
        .order_by("meeting__starts_at", "number")
    )
    mine = {
        b.question_id: b
        for b in Ballot.objects.filter(voter__holder=holder)
        .select_related("question__meeting__society")
        .prefetch_related("question__decision_entries")
    }
    member_of = member_societies(holder)
    societies = (
        {m.society_id for m in meetings}
        | {e.meeting.society_id for e in entries}
        | set(member_of.values_list("pk", flat=True))
    )
    return {
        "holder": holder,
        "meetings": sorted(meetings, key=lambda m: m.starts_at),
        "ballots_to_cast": [(q, mine.get(q.pk)) for q in open_questions],
        "receipts": sorted(mine.values(), key=lambda b: b.cast_at, reverse=True),
        "proposals": Proposal.objects.filter(society__in=societies, state=Proposal.State.SECONDING)
        .exclude(proposer=holder)
        .exclude(seconders__member=holder),
        "requisitions": Requisition.objects.filter(society__in=member_of, state=Requisition.State.SIGNING)
        .exclude(signatures__member=holder)
        .select_related("society"),
        "member_of": member_of,
        "proxy_for": proxy_ballots(holder),
        "societies": Society.objects.filter(pk__in=societies),
        "today": timezone.localdate(),
    }


def proxy_ballots(holder) -> list[tuple[RollEntry, Question, Ballot | None]]:
    """The open questions `holder` may vote on as the proxy of members who appointed them, with
    the proxy's own vote on each if cast (a member who voted themselves is not listed: their
    vote stands, and a proxy never sees how they voted)."""
    appointed = RollEntry.objects.filter(
        proxy__holder=holder, meeting__state__in=[Meeting.State.CALLED, Meeting.State.HELD]
    ).select_related("holder", "meeting__society")
    rows = []
    for entry in appointed:
        cast = {b.question_id: b for b in entry.ballots.all()}
        questions = entry.meeting.questions.filter(state=Question.State.OPEN).prefetch_related(
            "candidates__member__holder"
        )
        rows += [
            (entry, question, cast.get(question.pk))
            for question in questions
            if question.pk not in cast or cast[question.pk].method == Ballot.Method.PROXY
        ]
    return rows
