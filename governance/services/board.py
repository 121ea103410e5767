"""What the board does between meetings: the papers sent with a notice, members' seconded
proposals put on an agenda, and the members' elected directors given their seats."""

from django.db import transaction
from django.utils import timezone

from capital import permissions
from capital.models import SocietyRole
from capital.services import appoint_board_member
from governance.errors import GovernanceError
from governance.models import Candidate, Meeting, MeetingPaper, Proposal, Question
from governance.services.meetings import add_question
from governance.services.record import decided_by_name, record


def add_paper(*, meeting: Meeting, title: str, file, by=None) -> MeetingPaper:
    """A paper for the notice (the accounts, the last meeting's minutes), while it is still a draft."""
    permissions.require(by, "run_meetings", meeting.society)
    if not title.strip():
        raise GovernanceError("Give the paper a title members will recognise, such as 'Accounts 2025'.")
    with transaction.atomic():
        meeting = Meeting.objects.select_for_update().get(pk=meeting.pk)
        if meeting.state != Meeting.State.DRAFT:
            raise GovernanceError(
                "The notice has gone out with its papers: a paper added now would reach no one. "
                "Send it to members with the minutes instead."
            )
        return MeetingPaper.objects.create(meeting=meeting, title=title, file=file)


def put_on_agenda(*, proposal: Proposal, meeting: Meeting, by=None) -> Question:
    """A seconded member's proposal becomes a resolution on a meeting's agenda, and the record says so."""
    permissions.require(by, "propose_resolutions", proposal.society)
    if meeting.society_id != proposal.society_id:
        raise GovernanceError("Put the proposal on a meeting of its own society.")
    if proposal.state != Proposal.State.SECONDED:
        raise GovernanceError(
            f"{proposal.about()} is not waiting for the board: it is {proposal.get_state_display().lower()}."
        )
    with transaction.atomic():
        question = add_question(
            meeting=meeting,
            kind=proposal.kind,
            title=proposal.title,
            text=proposal.text,
            proposal=proposal,
            by=by,
        )
        record(
            society=proposal.society,
            kind="proposal.on_agenda",
            summary=(
                f"The board put the members' proposal {proposal.title!r} to {meeting.title} "
                f"({meeting.starts_at:%d %B %Y}) as resolution {question.number}."
            ),
            decided_on=timezone.localdate(),
            decided_by=decided_by_name(by),
            data={"proposal": proposal.pk, "meeting": meeting.pk, "question": question.number},
        )
    return question


def elected(question: Question) -> list[Candidate]:
    """The candidates the members elected, once the election is counted."""
    if not question.is_election or question.state != Question.State.CLOSED:
        return []
    ids = question.result.get("elected", [])
    return list(
        Candidate.objects.filter(question=question, pk__in=ids).select_related("member__holder__user")
    )


def unseated(question: Question) -> list[Candidate]:
    """The elected who do not sit on the board as directors yet."""
    society = question.meeting.society
    return [
        c
        for c in elected(question)
        if c.member.holder.user_id is None
        or not SocietyRole.objects.filter(
            society=society, user_id=c.member.holder.user_id, role=SocietyRole.Role.DIRECTOR
        ).exists()
    ]


def seat_the_elected(*, question: Question, by=None) -> list[SocietyRole]:
    """Give every member the members elected a director's seat, through capital's appointment
    (which announces each seat to the decision record). Refused, changing nothing, while one of
    them has no account to sit with."""
    society = question.meeting.society
    permissions.require(by, "manage_board", society)
    if not question.is_election or question.state != Question.State.CLOSED:
        raise GovernanceError("Seats follow a counted election: close and count it first.")
    winners = elected(question)
    if not winners:
        raise GovernanceError("The members elected nobody in this election: there is no seat to give.")
    no_account = [c.member.holder.name for c in winners if c.member.holder.user_id is None]
    if no_account:
        raise GovernanceError(
            f"{', '.join(no_account)} cannot take a seat yet: they have no account on the site. Ask them "
            "to sign up with the email address on the register, then give the seats."
        )
    with transaction.atomic():
        return [
            appoint_board_member(
                society=society,
                user=c.member.holder.user,
                role=SocietyRole.Role.DIRECTOR,
                by=by,
                named=c.member.holder.name,
            )
            for c in winners
        ]
