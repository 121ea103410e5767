"""Transfers in the board's admin: the requests, and a director's approval or refusal of each,
behind a confirmation that says what will happen."""

from django import forms

from capital.admin_actions import ObjectAction
from capital.admin_scoping import SocietyScopedViewSet
from capital.money import format_money
from investors.models import TransferRequest
from investors.transfers.services import approve_transfer, refuse_transfer

State = TransferRequest.State


class ReasonForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), help_text="The holder and the receiver are told."
    )


def _approve_preview(request: TransferRequest) -> list[str]:
    share_class = request.share_class
    sentences = [
        f"{request.shares} {share_class.name} move on the register from {request.holder} to "
        f"{request.receiver} today, for {format_money(request.price)}.",
        f"{request.holder}'s certificates are replaced by one for any balance; {request.receiver} is "
        "issued a certificate for the shares received. Both are emailed.",
        "The receiver's limits are checked again: the class's maximum holding"
        + (" and the legal limit on withdrawable shares." if share_class.withdrawable else "."),
    ]
    if share_class.is_investor_class:
        sentences.append(f"{share_class.name} carry no vote and no control right, whoever holds them.")
    return sentences


def _approve(request, by, data) -> str:
    approve_transfer(request=request, by=by)
    return f"{request.shares} {request.share_class.name} were transferred to {request.receiver}."


def _refuse(request, by, data) -> str:
    refuse_transfer(request=request, reason=data["reason"], by=by)
    return f"The transfer from {request.holder} is refused."


class TransferRequestViewSet(SocietyScopedViewSet):
    model = TransferRequest
    society_lookup = "share_class__society__in"
    icon = "resubmit"
    menu_label = "Transfers"
    list_display = ["requested_at", "holder", "receiver_name", "share_class", "shares", "price", "state"]
    list_filter = ["state"]
    ordering = ["requested_at", "pk"]
    inspect_view_enabled = True
    form_fields = []
    object_actions = (
        ObjectAction(
            name="approve",
            label="Approve the transfer",
            permission="decide_transfers",
            society_of=lambda request: request.share_class.society,
            applies=lambda request: request.may_become(State.COMPLETED),
            preview=_approve_preview,
            perform=_approve,
            warning="Only a director may approve. The register's entry cannot be undone.",
            icon="success",
        ),
        ObjectAction(
            name="refuse",
            label="Refuse the transfer",
            permission="decide_transfers",
            society_of=lambda request: request.share_class.society,
            applies=lambda request: request.may_become(State.REFUSED),
            preview=lambda request: [
                f"{request.holder} keeps their {request.shares} {request.share_class.name}; the holder and "
                "the receiver are told why."
            ],
            perform=_refuse,
            form_class=ReasonForm,
            icon="cross",
        ),
    )


VIEWSETS = (TransferRequestViewSet,)
READ_ONLY_MODELS = (TransferRequest,)
