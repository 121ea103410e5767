"""The board's governance screens in the admin, scoped to its society: the rules, meetings and
their agenda (the secretary runs meetings; directors propose), the roll and attendance, closing
ballots, the minutes, and the decision record."""

from django.db import transaction
from wagtail import hooks
from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel, ObjectList
from wagtail.admin.views import generic
from wagtail.admin.viewsets.base import ViewSetGroup
from wagtail.permissions import register_permission_policy

from capital import permissions
from capital.admin_actions import ObjectAction
from capital.admin_scoping import ReadOnlyPermissionPolicy, ServiceSaveMixin, SocietyScopedViewSet
from governance.admin_board import RECORD_IN_ROOM, SEAT_THE_ELECTED, MeetingPaperViewSet, ProposalViewSet
from governance.errors import GovernanceError
from governance.forms_admin import ScopedForm
from governance.models import DecisionEntry, GovernanceRules, Meeting, Question, RollEntry
from governance.services.closing import close_question
from governance.services.meetings import add_question, send_notice
from governance.services.minutes import sign_off_minutes


def save_rules(rules: GovernanceRules, by) -> GovernanceRules:
    permissions.require(by, "manage_governance_rules", rules.society)
    if (
        rules.pk
        and Question.objects.filter(meeting__society=rules.society, state=Question.State.OPEN).exists()
    ):
        # Members were told the rules they vote under (secret or recorded, the thresholds).
        raise GovernanceError(
            f"A ballot of {rules.society} is open: its rules for meetings can change once every "
            "open ballot has been counted."
        )
    rules.full_clean()
    with transaction.atomic():
        rules.save()
    return rules


def save_meeting(meeting: Meeting, by) -> Meeting:
    permissions.require(by, "run_meetings", meeting.society)
    current = Meeting.objects.filter(pk=meeting.pk).first() if meeting.pk else None
    if current and current.state == Meeting.State.CLOSED:
        raise GovernanceError(
            "The minutes are signed off: the meeting is part of the record and cannot change."
        )
    if current and current.state != Meeting.State.DRAFT:
        fixed = {"society_id": "society", "kind": "kind", "record_date": "record date", "starts_at": "time"}
        changed = [
            name for field, name in fixed.items() if getattr(current, field) != getattr(meeting, field)
        ]
        if changed:
            raise GovernanceError(
                f"The notice has gone out: the meeting's {', '.join(changed)} can no longer change."
            )
    meeting.full_clean()
    with transaction.atomic():
        meeting.save()
    return meeting


def save_question(question: Question, by) -> Question:
    if question.pk:
        raise GovernanceError("An agenda item cannot change once added; add a new one instead.")
    created = add_question(
        meeting=question.meeting,
        kind=question.kind,
        title=question.title,
        text=question.text,
        seats=question.seats,
        confirms=question.confirms,
        voting_closes_at=question.voting_closes_at,
        by=by,
    )
    question.pk = created.pk
    return created


class RulesCreate(ServiceSaveMixin, generic.CreateView):
    save_service = staticmethod(save_rules)


class RulesEdit(ServiceSaveMixin, generic.EditView):
    save_service = staticmethod(save_rules)


class GovernanceRulesViewSet(SocietyScopedViewSet):
    model = GovernanceRules
    edit_permission = "manage_governance_rules"
    icon = "cog"
    menu_label = "Rules for meetings"
    list_display = [
        "society",
        "notice_clear_days",
        "quorum_members",
        "quorum_percent",
        "special_threshold_percent",
    ]
    add_view_class = RulesCreate
    edit_view_class = RulesEdit
    edit_handler = ObjectList(
        [
            FieldPanel("society"),
            FieldPanel("notice_clear_days"),
            FieldRowPanel(
                [FieldPanel("quorum_members"), FieldPanel("quorum_percent"), FieldPanel("quorum_rule")]
            ),
            FieldRowPanel([FieldPanel("special_threshold_percent"), FieldPanel("abstentions_are_cast")]),
            FieldRowPanel(
                [FieldPanel("advance_online_voting"), FieldPanel("recorded_votes"), FieldPanel("ties")]
            ),
            FieldRowPanel([FieldPanel("proxies_allowed"), FieldPanel("max_proxies_per_member")]),
            FieldRowPanel([FieldPanel("seconders_needed"), FieldPanel("requisition_signatures")]),
        ],
        base_form_class=ScopedForm,
    )


class MeetingCreate(ServiceSaveMixin, generic.CreateView):
    save_service = staticmethod(save_meeting)


class MeetingEdit(ServiceSaveMixin, generic.EditView):
    save_service = staticmethod(save_meeting)


def _close_all(meeting, by):
    closed = [close_question(question=q, by=by) for q in meeting.questions.filter(state=Question.State.OPEN)]
    return f"{len(closed)} ballot(s) closed and counted; the results are in the decision record."


MEETING_ACTIONS = (
    ObjectAction(
        name="send_notice",
        label="Send notice",
        permission="run_meetings",
        society_of=lambda m: m.society,
        applies=lambda m: m.may_become(Meeting.State.CALLED),
        preview=lambda m: [
            f"The roll is taken as at {m.record_date:%d %B %Y}: every member on the register that day, once.",
            "Each of them is emailed the notice: agenda, papers, how to vote and a calendar invitation.",
            "The agenda can no longer change.",
        ],
        perform=lambda m, by, data: f"Notice of {send_notice(meeting=m, by=by).title} is being sent.",
        icon="mail",
    ),
    ObjectAction(
        name="close_ballots",
        label="Close the ballots and count",
        permission="run_meetings",
        society_of=lambda m: m.society,
        applies=lambda m: (
            m.state in (Meeting.State.CALLED, Meeting.State.HELD)
            and m.questions.filter(state=Question.State.OPEN).exists()
        ),
        preview=lambda m: [
            "Every open question of the meeting stops taking votes now and is counted.",
            "Each result, with every ballot by its receipt's hash, goes into the public decision record.",
        ],
        perform=lambda m, by, data: _close_all(m, by),
        icon="lock",
    ),
    ObjectAction(
        name="sign_minutes",
        label="Sign off the minutes (chair)",
        permission="sign_minutes",
        society_of=lambda m: m.society,
        applies=lambda m: m.state == Meeting.State.HELD,
        preview=lambda m: [
            "The minutes, with every result, become a PDF signed off in your name as chair.",
            "They can no longer change; the PDF's fingerprint goes into the decision record.",
        ],
        perform=lambda m, by, data: (
            f"The minutes of {sign_off_minutes(meeting=m, by=by).title} are signed off."
        ),
        icon="doc-full",
    ),
)


class MeetingViewSet(SocietyScopedViewSet):
    model = Meeting
    edit_permission = "run_meetings"
    icon = "date"
    menu_label = "Meetings"
    list_display = ["title", "society", "kind", "starts_at", "record_date", "state", "notices_sent"]
    list_filter = ["state", "kind"]
    inspect_view_enabled = True
    object_actions = MEETING_ACTIONS
    add_view_class = MeetingCreate
    edit_view_class = MeetingEdit
    edit_handler = ObjectList(
        [
            FieldPanel("society"),
            FieldRowPanel([FieldPanel("kind"), FieldPanel("title")]),
            FieldRowPanel([FieldPanel("starts_at"), FieldPanel("record_date")]),
            FieldRowPanel([FieldPanel("location"), FieldPanel("online_link")]),
            MultiFieldPanel(
                [FieldPanel("minutes")], heading="Minutes (the secretary writes them after the meeting)"
            ),
        ],
        base_form_class=ScopedForm,
    )


class QuestionCreate(ServiceSaveMixin, generic.CreateView):
    save_service = staticmethod(save_question)


class QuestionViewSet(SocietyScopedViewSet):
    model = Question
    edit_permission = "propose_resolutions"
    # An agenda item never changes once added (save_question refuses): no edit form to refuse.
    edit_view_enabled = False
    society_lookup = "meeting__society__in"
    icon = "list-ul"
    menu_label = "Agenda"
    list_display = ["meeting", "number", "title", "kind", "state", "passed"]
    list_filter = ["state", "kind"]
    inspect_view_enabled = True
    add_view_class = QuestionCreate
    edit_handler = ObjectList(
        [
            FieldPanel("meeting"),
            FieldRowPanel([FieldPanel("kind"), FieldPanel("seats")]),
            FieldPanel("title"),
            FieldPanel("text"),
            FieldRowPanel([FieldPanel("confirms"), FieldPanel("voting_closes_at")]),
        ],
        base_form_class=ScopedForm,
    )

    object_actions = (
        ObjectAction(
            name="close",
            label="Close this ballot and count",
            permission="run_meetings",
            society_of=lambda q: q.meeting.society,
            applies=lambda q: q.state == Question.State.OPEN and q.meeting.state != Meeting.State.DRAFT,
            preview=lambda q: [f"{q} stops taking votes now; the result goes into the decision record."],
            perform=lambda q, by, data: f"{close_question(question=q, by=by)} is counted.",
            icon="lock",
        ),
        SEAT_THE_ELECTED,
    )


def _mark_present(entry, by, data):
    from governance.services.voting import record_attendance

    record_attendance(meeting=entry.meeting, holders=[entry.holder], by=by)
    return f"{entry.holder.name} is recorded present."


class RollEntryViewSet(SocietyScopedViewSet):
    model = RollEntry
    society_lookup = "meeting__society__in"
    icon = "group"
    menu_label = "Roll and attendance"
    list_display = ["holder", "meeting", "present"]
    list_filter = ["present"]
    form_fields = []
    object_actions = (
        ObjectAction(
            name="present",
            label="Record present",
            permission="run_meetings",
            society_of=lambda e: e.meeting.society,
            applies=lambda e: not e.present and e.meeting.state in (Meeting.State.CALLED, Meeting.State.HELD),
            perform=_mark_present,
            icon="tick",
        ),
        RECORD_IN_ROOM,
    )


class DecisionEntryViewSet(SocietyScopedViewSet):
    model = DecisionEntry
    icon = "list-ol"
    menu_label = "Decision record"
    list_display = ["sequence", "society", "decided_on", "kind", "summary"]
    list_filter = ["kind"]
    inspect_view_enabled = True
    form_fields = []


for model in (RollEntry, DecisionEntry):
    register_permission_policy(model, ReadOnlyPermissionPolicy(model))


class GovernanceGroup(ViewSetGroup):
    menu_label = "Meetings and decisions"
    menu_icon = "date"
    menu_order = 230
    items = (
        MeetingViewSet,
        MeetingPaperViewSet,
        QuestionViewSet,
        ProposalViewSet,
        RollEntryViewSet,
        GovernanceRulesViewSet,
        DecisionEntryViewSet,
    )


@hooks.register("register_admin_viewset")
def register_governance_viewsets():
    return GovernanceGroup()
