"""The board's admin between meetings: a meeting's papers, members' proposals (put on an agenda
or declined with published reasons), and seats for the directors the members elected."""

from django import forms
from wagtail.admin.panels import FieldPanel, ObjectList
from wagtail.admin.views import generic
from wagtail.permission_policies import ModelPermissionPolicy
from wagtail.permissions import register_permission_policy

from capital.admin_actions import ObjectAction
from capital.admin_scoping import ReadOnlyPermissionPolicy, ServiceSaveMixin, SocietyScopedViewSet
from governance.errors import GovernanceError
from governance.forms_admin import ScopedForm
from governance.models import Meeting, MeetingPaper, Proposal, Question
from governance.services.board import add_paper, put_on_agenda, seat_the_elected, unseated
from governance.services.members import decline_proposal


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
