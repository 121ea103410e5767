"""Redemptions in the board's admin: the fund and the queue as actions on the share class, each
behind a confirmation; refusing and paying on each request; the bank's payment file."""

import datetime

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.urls import path
from django.utils import timezone

from capital import permissions
from capital.admin_actions import ObjectAction, ObjectLink, register_object_actions, register_object_links
from capital.admin_scoping import SocietyScopedViewSet
from capital.errors import Refusal
from capital.models import ShareClass
from capital.money import format_money
from investors.models import RedemptionFund, RedemptionFundMovement, RedemptionRequest
from investors.payouts.admin import payout_actions
from investors.payouts.resolution import missing_accounts_sentence, unresolved
from investors.redemptions.exports import redemption_payment_file_csv
from investors.redemptions.payouts import resolve_redemption_payout, return_redemption_to_file
from investors.redemptions.services import (
    approve_redemptions,
    mark_redemption_paid,
    plan_redemptions,
    redemption_price,
    refuse_redemption,
    release,
    set_aside,
)

State = RedemptionRequest.State


class FundForm(forms.Form):
    amount = forms.DecimalField(min_value=0.01, decimal_places=2, help_text="In the society's currency.")
    note = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 2}), help_text="For the record."
    )


class ApproveForm(forms.Form):
    budget = forms.DecimalField(
        required=False,
        decimal_places=2,
        min_value=0,
        help_text="What the society can afford now (blank: only what the fund holds). The queue stops at the "
        "first request that does not fit.",
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), help_text="The holder is told.")


class PaidForm(forms.Form):
    reference = forms.CharField(max_length=100, help_text="The bank payment's reference.")
    paid_on = forms.DateField(initial=timezone.localdate)


def _fund_balance(share_class) -> str:
    fund = RedemptionFund.objects.filter(share_class=share_class).first()
    return format_money(fund.balance if fund else share_class.society.money(0))


def _redeemable(share_class) -> bool:
    return share_class.is_investor_class and share_class.redemption_minimum_holding_years is not None


def _set_aside(share_class, by, data) -> str:
    fund = set_aside(
        share_class=share_class, amount=share_class.society.money(data["amount"]), by=by, note=data["note"]
    )
    return f"The redemption fund for {share_class.name} holds {format_money(fund.balance)}."


def _release(share_class, by, data) -> str:
    fund = release(
        share_class=share_class, amount=share_class.society.money(data["amount"]), by=by, note=data["note"]
    )
    return f"The redemption fund for {share_class.name} holds {format_money(fund.balance)}."


def _approve(share_class, by, data) -> str:
    budget = data["budget"]
    plan = approve_redemptions(
        share_class=share_class, by=by, budget=None if budget is None else share_class.society.money(budget)
    )
    return f"{len(plan.approvable)} redemptions approved: {format_money(plan.total)} owed to their holders."


SHARE_CLASS_ACTIONS = (
    ObjectAction(
        name="set-aside-for-redemptions",
        label="Set money aside for redemptions",
        permission="decide_redemptions",
        society_of=lambda share_class: share_class.society,
        applies=_redeemable,
        preview=lambda share_class: [
            f"The money is added to the fund that redeems {share_class.name} at "
            f"{format_money(redemption_price(share_class))} a share; it holds "
            f"{_fund_balance(share_class)} now.",
            "Setting money aside is the board's decision and is published in the decision record.",
        ],
        perform=_set_aside,
        form_class=FundForm,
        icon="plus",
    ),
    ObjectAction(
        name="release-redemption-fund",
        label="Release money from the redemption fund",
        permission="decide_redemptions",
        society_of=lambda share_class: share_class.society,
        applies=lambda share_class: RedemptionFund.objects.filter(share_class=share_class).exists(),
        preview=lambda share_class: [
            f"The fund holds {_fund_balance(share_class)}; no more can be released."
        ],
        perform=_release,
        form_class=FundForm,
        icon="minus",
    ),
    ObjectAction(
        name="approve-redemptions",
        label="Approve waiting redemptions",
        permission="decide_redemptions",
        society_of=lambda share_class: share_class.society,
        applies=_redeemable,
        preview=lambda share_class: plan_redemptions(share_class).sentences(),
        perform=_approve,
        form_class=ApproveForm,
        warning="Redemptions are paid only if the society can still pay its debts. "
        "Only a director may approve.",
        icon="success",
    ),
)


def _refuse(request, by, data) -> str:
    refuse_redemption(request=request, reason=data["reason"], by=by)
    return f"{request.holder}'s redemption is refused."


def _paid(request, by, data) -> str:
    mark_redemption_paid(request=request, reference=data["reference"], paid_on=data["paid_on"], by=by)
    return f"{request.holder}'s redemption is recorded as paid."


def _paid_preview(request) -> list[str]:
    sentences = [f"{format_money(request.amount)} was paid to {request.holder}."]
    missing = unresolved(RedemptionRequest.objects.filter(pk=request.pk))
    if missing:
        sentences.append(
            f"{missing_accounts_sentence(missing)} Recording it paid waits until they give one, or it "
            "is recorded as paid another way."
        )
    return sentences


PAYOUT_ACTIONS = payout_actions(
    permission="pay_redemptions",
    society_of=lambda request: request.share_class.society,
    decided=lambda request: request.state == State.APPROVED,
    owed=lambda request: (
        f"{request.holder} is owed {format_money(request.amount)} for {request.shares} "
        f"{request.share_class.name} redeemed."
    ),
    what="redemption",
    resolve=lambda request, **change: resolve_redemption_payout(request=request, **change),
    back_to_file=lambda request, by: return_redemption_to_file(request=request, by=by),
)


class RedemptionRequestViewSet(SocietyScopedViewSet):
    model = RedemptionRequest
    society_lookup = "share_class__society__in"
    icon = "arrow-left"
    menu_label = "Redemptions"
    list_display = ["requested_at", "holder", "share_class", "shares", "amount", "state", "payout"]
    list_filter = ["state", "payout"]
    ordering = ["requested_at", "pk"]
    inspect_view_enabled = True
    form_fields = []
    object_actions = (
        ObjectAction(
            name="refuse",
            label="Refuse the redemption",
            permission="decide_redemptions",
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
            permission="pay_redemptions",
            society_of=lambda request: request.share_class.society,
            applies=lambda request: request.may_become(State.PAID),
            preview=_paid_preview,
            perform=_paid,
            form_class=PaidForm,
            icon="tick",
        ),
        *PAYOUT_ACTIONS,
    )


class RedemptionFundMovementViewSet(SocietyScopedViewSet):
    model = RedemptionFundMovement
    society_lookup = "fund__share_class__society__in"
    icon = "table"
    menu_label = "Redemption fund"
    list_display = ["recorded_at", "fund", "kind", "amount", "balance_after", "note"]
    list_filter = ["kind"]
    form_fields = []


def payment_file(request, pk):
    """The bank's payment file for the class's approved, unpaid redemptions."""
    share_class = (
        ShareClass.objects.filter(pk=pk, society__in=permissions.societies_for(request.user))
        .select_related("society")
        .first()
    )
    if share_class is None:
        raise Http404
    if not permissions.may(request.user, "pay_redemptions", share_class.society):
        raise PermissionDenied
    try:
        text = redemption_payment_file_csv(share_class)
    except Refusal as error:
        messages.error(request, str(error))
        return redirect("shareclass:inspect", share_class.pk)
    response = HttpResponse(text, content_type="text/csv; charset=utf-8")
    filename = f"{share_class.society.slug}-redemptions-{share_class.pk}-{datetime.date.today():%Y%m%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


register_object_actions(ShareClass, *SHARE_CLASS_ACTIONS)
register_object_links(
    ShareClass,
    ObjectLink(
        label="Download the redemptions payment file",
        url_name="redemption_payment_file",
        permission="pay_redemptions",
        society_of=lambda share_class: share_class.society,
        applies=lambda share_class: RedemptionRequest.objects.filter(
            share_class=share_class, state=State.APPROVED
        ).exists(),
    ),
)

VIEWSETS = (RedemptionRequestViewSet, RedemptionFundMovementViewSet)
READ_ONLY_MODELS = (RedemptionRequest, RedemptionFundMovement)


def admin_urls():
    return [path("redemptions/<int:pk>/payment-file/", payment_file, name="redemption_payment_file")]
