"""The board's admin around meetings: a meeting's papers, members' proposals (put on an agenda
or declined with published reasons), votes recorded in the room, and seats for the directors
the members elected."""

from django import forms
from wagtail.admin.panels import FieldPanel, ObjectList
from wagtail.admin.views import generic
from wagtail.permission_policies import ModelPermissionPolicy
from wagtail.permissions import register_permission_policy

from capital.admin_actions import ObjectAction
from capital.admin_scoping import ReadOnlyPermissionPolicy, ServiceSaveMixin, SocietyScopedViewSet
from governance.errors import GovernanceError
from governance.forms import RESOLUTION_CHOICES
from governance.forms_admin import ScopedForm
from governance.models import Candidate, Meeting, MeetingPaper, Proposal, Question
from governance.services.board import add_paper, put_on_agenda, seat_the_elected, unseated
from governance.services.members import decline_proposal
from governance.services.voting import record_in_room


def save_paper(paper: MeetingPaper, by) -> MeetingPaper:
    if paper.pk:
        raise GovernanceError("A paper cannot change once added: add the corrected paper as a new one.")
    created = add_paper(meeting=paper.meeting, title=paper.title, file=paper.file, by=by)
    paper.pk = created.pk
    return created


class AddOnlyPermissionPolicy(ModelPermissionPolicy):
    """Papers are added and seen, never changed: the notice has carried them as they were."""

    def user_has_permission(self, user, action):
        return action in ("add", "view") and user.has_perm(self._get_permission_name(action))


class PaperCreate(ServiceSaveMixin, generic.CreateView):
    save_service = staticmethod(save_paper)


class MeetingPaperViewSet(SocietyScopedViewSet):
    model = MeetingPaper
    society_lookup = "meeting__society__in"
    icon = "doc-full"
    menu_label = "Papers"
    list_display = ["title", "meeting", "file"]
    add_view_class = PaperCreate
    edit_handler = ObjectList(
        [FieldPanel("meeting"), FieldPanel("title"), FieldPanel("file")], base_form_class=ScopedForm
    )


class AgendaForm(forms.Form):
    """Which of the society's meetings still being prepared takes the proposal."""

    needs_instance = True
    meeting = forms.ModelChoiceField(queryset=Meeting.objects.none(), help_text="Meetings not yet called.")

    def __init__(self, *args, instance, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["meeting"].queryset = Meeting.objects.filter(
            society=instance.society, state=Meeting.State.DRAFT
        ).order_by("starts_at")


class ReasonsForm(forms.Form):
    reasons = forms.CharField(widget=forms.Textarea, help_text="Published in the decision record.")


def _on_agenda(proposal, by, data) -> str:
    question = put_on_agenda(proposal=proposal, meeting=data["meeting"], by=by)
    return f"{proposal.title!r} is resolution {question.number} of {question.meeting.title}."


def _decline(proposal, by, data) -> str:
    decline_proposal(proposal=proposal, reasons=data["reasons"], by=by)
    return f"{proposal.title!r} is declined; the board's reasons are in the decision record."


PROPOSAL_ACTIONS = (
    ObjectAction(
        name="agenda",
        label="Put on a meeting's agenda",
        permission="propose_resolutions",
        society_of=lambda p: p.society,
        applies=lambda p: p.state == Proposal.State.SECONDED,
        preview=lambda p: [
            f"{p.title!r} becomes a {p.get_kind_display().lower()} on the agenda of the meeting you choose.",
            "The decision record says so, and the meeting's notice carries it to every member.",
        ],
        form_class=AgendaForm,
        perform=_on_agenda,
        icon="list-ul",
    ),
    ObjectAction(
        name="decline",
        label="Decline, publishing the reasons",
        permission="propose_resolutions",
        society_of=lambda p: p.society,
        applies=lambda p: p.state == Proposal.State.SECONDED,
        preview=lambda p: [f"{p.title!r} is not put to a meeting; your reasons go into the public record."],
        form_class=ReasonsForm,
        perform=_decline,
        icon="cross",
    ),
)


class ProposalViewSet(SocietyScopedViewSet):
    model = Proposal
    icon = "help"
    menu_label = "Members' proposals"
    list_display = ["title", "society", "kind", "proposer", "state", "created_at"]
    list_filter = ["state"]
    inspect_view_enabled = True
    form_fields = []
    object_actions = PROPOSAL_ACTIONS


register_permission_policy(MeetingPaper, AddOnlyPermissionPolicy(MeetingPaper))
register_permission_policy(Proposal, ReadOnlyPermissionPolicy(Proposal))


def _seat(question, by, data) -> str:
    seats = seat_the_elected(question=question, by=by)
    return f"{len(seats)} director(s) seated on the board; each seat is in the decision record."


SEAT_THE_ELECTED = ObjectAction(
    name="seat",
    label="Give the elected their seats",
    permission="manage_board",
    society_of=lambda q: q.meeting.society,
    applies=lambda q: q.is_election and q.state == Question.State.CLOSED and bool(unseated(q)),
    preview=lambda q: [
        *(f"{c.member.holder.name} takes a director's seat on the board." for c in unseated(q)),
        "Each seat is announced in the public decision record, as every appointment is.",
    ],
    perform=_seat,
    icon="user",
)


def _candidate_label(candidate) -> str:
    return f"{candidate.member.holder.name} ({candidate.question.title})"


class InRoomVoteForm(forms.Form):
    """A vote cast in the room by a member present who has not voted online."""

    needs_instance = True
    question = forms.ModelChoiceField(queryset=Question.objects.none())
    choice = forms.ChoiceField(
        choices=[("", "—"), *RESOLUTION_CHOICES], required=False, help_text="For a resolution."
    )
    candidates = forms.ModelMultipleChoiceField(
        queryset=Candidate.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="For an election: up to the seats' number.",
    )

    def __init__(self, *args, instance, **kwargs):
        super().__init__(*args, **kwargs)
        open_questions = Question.objects.filter(meeting=instance.meeting, state=Question.State.OPEN)
        self.fields["question"].queryset = open_questions.exclude(ballots__voter=instance)
        self.fields["candidates"].queryset = Candidate.objects.filter(
            question__in=open_questions, question__kind=Question.Kind.ELECTION
        ).select_related("member__holder", "question")
        self.fields["candidates"].label_from_instance = lambda c: (
            f"{c.member.holder.name} ({c.question.title})"
        )

    def clean(self):
        data = super().clean()
        question = data.get("question")
        if question is None:
            return data
        if question.is_election:
            chosen = [c for c in data.get("candidates") or [] if c.question_id == question.pk]
            if not chosen:
                raise forms.ValidationError(f"Tick the candidates the member chose in {question.title!r}.")
            data["candidates"] = chosen
        elif not data.get("choice"):
            raise forms.ValidationError("Say whether the member voted for, against, or abstained.")
        return data


def _in_room(entry, by, data) -> str:
    question = data["question"]
    record_in_room(
        question=question,
        holder=entry.holder,
        choice=data.get("choice") or None,
        candidates=[c.pk for c in data.get("candidates") or []] if question.is_election else None,
        by=by,
    )
    return f"{entry.holder.name}'s vote on {question.title!r} is recorded, in the room."


RECORD_IN_ROOM = ObjectAction(
    name="vote_in_room",
    label="Record a vote in the room",
    permission="run_meetings",
    society_of=lambda e: e.meeting.society,
    applies=lambda e: (
        e.meeting.state in (Meeting.State.CALLED, Meeting.State.HELD)
        and e.meeting.questions.filter(state=Question.State.OPEN).exclude(ballots__voter=e).exists()
    ),
    preview=lambda e: [
        f"{e.holder.name} is recorded present, and their vote counted as cast in the room.",
        "Only for a member who has not voted on that question online: an online vote stands.",
    ],
    form_class=InRoomVoteForm,
    perform=_in_room,
    icon="edit",
)
