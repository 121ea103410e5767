"""Withdrawals in the board's admin: the queue, and the decisions on it, each behind a
confirmation that says what will happen. Every step is a service in investors.withdrawals.services.
The queue's actions are added to capital's share class admin through its registry."""

from django import forms
from django.utils import timezone

from capital.admin_actions import ObjectAction, register_object_actions
from capital.admin_scoping import SocietyScopedViewSet
from capital.models import ShareClass
from investors.models import WithdrawalRequest
from investors.withdrawals.services import (
    approve_withdrawals,
    mark_withdrawal_paid,
    plan_withdrawals,
    refuse_withdrawal,
    resume_withdrawals,
    suspend_withdrawals,
)

State = WithdrawalRequest.State


class ReasonForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), help_text="The holder is told.")


class PaidForm(forms.Form):
    reference = forms.CharField(max_length=100, help_text="The bank payment's reference.")
    paid_on = forms.DateField(initial=timezone.localdate)


class ApproveForm(forms.Form):
    budget = forms.DecimalField(
        required=False,
        decimal_places=2,
        min_value=0,
        help_text="What the society can afford now (blank: only the yearly limit applies). The queue "
        "stops at the first request that does not fit.",
    )


def _approve(share_class, by, data) -> str:
    budget = data["budget"]
    plan = approve_withdrawals(
        share_class=share_class, by=by, budget=None if budget is None else share_class.society.money(budget)
    )
    return f"{len(plan.approvable)} withdrawals approved: {plan.total} owed to their holders."


def _suspend(share_class, by, data) -> str:
    suspend_withdrawals(share_class=share_class, reason=data["reason"], by=by)
    return f"Withdrawals of {share_class.name} are suspended."


def _resume(share_class, by, data) -> str:
    resume_withdrawals(share_class=share_class, by=by)
    return f"Withdrawals of {share_class.name} are open again."


SHARE_CLASS_ACTIONS = (
    ObjectAction(
        name="approve-withdrawals",
        label="Approve due withdrawals",
        permission="decide_withdrawals",
        society_of=lambda share_class: share_class.society,
        applies=lambda share_class: share_class.withdrawable and not share_class.withdrawals_suspended,
        preview=lambda share_class: plan_withdrawals(share_class).sentences(),
        perform=_approve,
        form_class=ApproveForm,
        warning="Withdrawals are paid only from surplus, and only if the society can still pay its "
        "debts for a year after. Only a director may approve.",
        icon="success",
    ),
    ObjectAction(
        name="suspend-withdrawals",
        label="Suspend withdrawals",
        permission="decide_withdrawals",
        society_of=lambda share_class: share_class.society,
        applies=lambda share_class: share_class.withdrawable and not share_class.withdrawals_suspended,
        preview=lambda share_class: [
            f"No withdrawal of {share_class.name} is approved until the board resumes them; requests "
            "keep their place in the queue and holders can still ask."
        ],
        perform=_suspend,
        form_class=ReasonForm,
        icon="warning",
    ),
    ObjectAction(
        name="resume-withdrawals",
        label="Resume withdrawals",
        permission="decide_withdrawals",
        society_of=lambda share_class: share_class.society,
        applies=lambda share_class: share_class.withdrawals_suspended,
        preview=lambda share_class: [f"Withdrawals of {share_class.name} can be approved again."],
        perform=_resume,
        icon="tick",
    ),
)


def _refuse(request, by, data) -> str:
    refuse_withdrawal(request=request, reason=data["reason"], by=by)
    return f"{request.holder}'s withdrawal is refused."


def _paid(request, by, data) -> str:
    mark_withdrawal_paid(request=request, reference=data["reference"], paid_on=data["paid_on"], by=by)
    return f"{request.holder}'s withdrawal is recorded as paid."


class WithdrawalRequestViewSet(SocietyScopedViewSet):
    model = WithdrawalRequest
    society_lookup = "share_class__society__in"
    icon = "arrow-left"
    menu_label = "Withdrawals"
    list_display = ["requested_at", "holder", "share_class", "shares", "amount", "due_on", "state"]
    list_filter = ["state"]
    ordering = ["requested_at", "pk"]
    inspect_view_enabled = True
    form_fields = []
    object_actions = (
        ObjectAction(
            name="refuse",
            label="Refuse the withdrawal",
            permission="decide_withdrawals",
            society_of=lambda request: request.share_class.society,
            applies=lambda request: request.may_become(State.REFUSED),
            preview=lambda request: [
                f"{request.holder} keeps their {request.shares} {request.share_class.name}; the request "
                "leaves the queue and they are told why."
            ],
            perform=_refuse,
            form_class=ReasonForm,
            icon="cross",
        ),
        ObjectAction(
            name="paid",
            label="Record the payment",
            permission="pay_withdrawals",
            society_of=lambda request: request.share_class.society,
            applies=lambda request: request.may_become(State.PAID),
            preview=lambda request: [f"{request.amount} was paid to {request.holder}."],
            perform=_paid,
            form_class=PaidForm,
            icon="tick",
        ),
    )


register_object_actions(ShareClass, *SHARE_CLASS_ACTIONS)

VIEWSETS = (WithdrawalRequestViewSet,)
READ_ONLY_MODELS = (WithdrawalRequest,)
