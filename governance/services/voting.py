"""Voting: one member, one vote per question, on the roll as at the record date.

An investor-only holder is never on a roll, so every path here refuses them before anything is
written, and the database refuses a ballot without a roll entry. A member may change an online
vote until the ballot closes (the one row is updated; only the last choice counts). The
secretary records in the room the votes of members present who have not voted; a proxy (a
member) votes for those who appointed them, up to the rules' number.
"""

from django.db import transaction
from django.utils import timezone

from capital import permissions
from governance.errors import GovernanceError, NotOnRoll
from governance.models import Ballot, Candidate, GovernanceRules, Meeting, Question, RollEntry
from shares.models import Holder

NOT_ON_ROLL = (
    "Only members on the register at the record date ({date:%d %B %Y}) vote at this meeting: "
    "one member, one vote. Investor shares never carry a vote."
)
RESOLUTION_CHOICES = (Ballot.Choice.FOR, Ballot.Choice.AGAINST, Ballot.Choice.ABSTAIN)


def roll_entry(question: Question, holder: Holder | None, *, lock: bool = False) -> RollEntry:
    entries = RollEntry.objects.filter(meeting_id=question.meeting_id, holder=holder)
    entry = (entries.select_for_update() if lock else entries).first() if holder is not None else None
    if entry is None:
        raise NotOnRoll(NOT_ON_ROLL.format(date=question.meeting.record_date))
    return entry


def _open_question(question: Question, now) -> Question:
    question = Question.objects.select_related("meeting__society").get(pk=question.pk)
    if question.state != Question.State.OPEN:
        raise GovernanceError("This ballot has closed: the result is counted.")
    if question.meeting.state not in (Meeting.State.CALLED, Meeting.State.HELD):
        raise GovernanceError("Voting opens once the notice of the meeting has gone out.")
    return question


def _clean_choice(question: Question, choice, candidates) -> tuple[str, list[int]]:
    if question.is_election:
        chosen = sorted({int(c) for c in (candidates or [])})
        known = set(Candidate.objects.filter(question=question).values_list("pk", flat=True))
        if not chosen:
            raise GovernanceError("Choose at least one candidate.")
        if not set(chosen) <= known:
            raise GovernanceError("Choose only from the candidates standing.")
        if len(chosen) > question.seats:
            raise GovernanceError(f"Vote for up to {question.seats} candidate(s): there are that many seats.")
        return Ballot.Choice.CANDIDATES, chosen
    if choice not in RESOLUTION_CHOICES:
        raise GovernanceError("Vote for, against, or abstain.")
    return choice, []


def _write(question, entry, choice, candidates, *, method, user, replace: bool) -> Ballot:
    ballot = Ballot.objects.filter(question=question, voter=entry).first()
    if ballot is None:
        return Ballot.objects.create(
            question=question, voter=entry, choice=choice, candidates=candidates, method=method, cast_by=user
        )
    if not replace:
        raise GovernanceError(
            f"{entry.holder.name} has already voted on this question; only they can change it online."
        )
    ballot.choice, ballot.candidates, ballot.method, ballot.cast_by = choice, candidates, method, user
    ballot.changes += 1
    ballot.save(
        update_fields=["choice", "candidates", "method", "cast_by", "changes", "cast_at", "receipt_hash"]
    )
    return ballot


def vote(
    *, question: Question, holder: Holder | None, choice=None, candidates=None, user=None, now=None
) -> Ballot:
    """A member's own online vote, or a change to it; returns the ballot (its receipt code is the
    voter's to keep)."""
    now = now or timezone.now()
    with transaction.atomic():
        question = _open_question(question, now)
        entry = roll_entry(question, holder, lock=True)
        _refuse_outside_online_voting(question, now)
        choice, chosen = _clean_choice(question, choice, candidates)
        return _write(question, entry, choice, chosen, method=Ballot.Method.ONLINE, user=user, replace=True)


def _refuse_outside_online_voting(question: Question, now) -> None:
    """Online votes, a member's own or their proxy's, only while the rules allow them."""
    closes = question.voting_closes_at
    if closes is not None and now >= closes:
        raise GovernanceError("Online voting on this question has closed; vote in the room.")
    rules = GovernanceRules.of(question.meeting.society)
    if not rules.advance_online_voting and now < question.meeting.starts_at:
        raise GovernanceError("The rules do not allow voting before the meeting: vote in the room.")


def record_in_room(
    *, question: Question, holder: Holder, choice=None, candidates=None, by=None, now=None
) -> Ballot:
    """The secretary records the vote of a member present who has not voted online."""
    now = now or timezone.now()
    with transaction.atomic():
        question = _open_question(question, now)
        permissions.require(by, "run_meetings", question.meeting.society)
        entry = roll_entry(question, holder, lock=True)
        choice, chosen = _clean_choice(question, choice, candidates)
        if not entry.present:
            entry.present = True
            entry.save(update_fields=["present"])
        return _write(question, entry, choice, chosen, method=Ballot.Method.IN_ROOM, user=by, replace=False)


def record_attendance(*, meeting: Meeting, holders, by=None) -> int:
    """Mark members present at the meeting (for the quorum)."""
    permissions.require(by, "run_meetings", meeting.society)
    with transaction.atomic():
        return RollEntry.objects.filter(meeting=meeting, holder__in=holders).update(present=True)


def appoint_proxy(*, meeting: Meeting, member: Holder, proxy: Holder) -> RollEntry:
    """A member appoints another member on the roll to vote for them."""
    rules = GovernanceRules.of(meeting.society)
    if not rules.proxies_allowed:
        raise GovernanceError("The society's rules do not allow proxies.")
    with transaction.atomic():
        if not meeting.questions.filter(state=Question.State.OPEN).exists():
            raise GovernanceError("This meeting has no ballot open: there is nothing for a proxy to vote on.")
        question = meeting.questions.first()
        appointing = roll_entry(question, member, lock=True)
        holding = roll_entry(question, proxy, lock=True)
        if appointing.pk == holding.pk:
            raise GovernanceError("Appoint another member as your proxy.")
        if holding.proxy_id == appointing.pk:
            raise GovernanceError(f"{proxy.name} has appointed you as their proxy; appoint another member.")
        if holding.proxy_for.exclude(pk=appointing.pk).count() >= rules.max_proxies_per_member:
            raise GovernanceError(
                f"A proxy may vote for at most {rules.max_proxies_per_member} members; choose another."
            )
        appointing.proxy = holding
        appointing.save(update_fields=["proxy"])
        return appointing


def vote_as_proxy(
    *, question: Question, proxy: Holder, member: Holder, choice=None, candidates=None, user=None, now=None
) -> Ballot:
    now = now or timezone.now()
    with transaction.atomic():
        question = _open_question(question, now)
        holding = roll_entry(question, proxy)
        entry = roll_entry(question, member, lock=True)
        if entry.proxy_id != holding.pk:
            raise GovernanceError(f"You are not {member.name}'s proxy for this meeting.")
        _refuse_outside_online_voting(question, now)
        own = Ballot.objects.filter(question=question, voter=entry).exclude(method=Ballot.Method.PROXY)
        if own.exists():
            raise GovernanceError(f"{member.name} has voted on this question themselves; their vote stands.")
        choice, chosen = _clean_choice(question, choice, candidates)
        return _write(question, entry, choice, chosen, method=Ballot.Method.PROXY, user=user, replace=True)
