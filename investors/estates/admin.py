"""A member's death in the board's admin: recorded from their holding, then each step of
passing their property on from the estate's page, each behind a confirmation that says what
will happen; the money owed recorded as paid."""

from django import forms
from django.utils import timezone

from capital.admin_actions import ObjectAction, register_object_actions
from capital.admin_scoping import SocietyScopedViewSet
from capital.money import format_money
from investors.estates.services import (
    mark_transmission_paid,
    pass_nominated_property,
    pass_to_representatives,
    plan_for_representatives,
    plan_nominated_property,
    record_death,
    record_representatives,
)
from investors.models import Estate, EstateTransmission
from shares.models import Holding

State = Estate.State


class DeathForm(forms.Form):
    died_on = forms.DateField(label="Date of death")
    evidence = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="What you saw: the death certificate (and its entry number), or a grant of probate.",
    )


class RepresentativesForm(forms.Form):
    name = forms.CharField(max_length=200, label="Personal representatives' name(s)")
    postal_address = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}))
    email = forms.EmailField(required=False)
    authority = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Proof of their authority",
        help_text="The grant of probate or of letters of administration you saw, with its date and registry.",
    )


class PaidForm(forms.Form):
    reference = forms.CharField(max_length=100, help_text="The bank payment's reference.")
    paid_on = forms.DateField(initial=timezone.localdate)


def _record_death(holding, by, data) -> str:
    estate = record_death(
        holder=holding.holder,
        society=holding.share_class.society,
        died_on=data["died_on"],
        evidence=data["evidence"],
        by=by,
    )
    return f"{estate.holder}'s death is recorded; their membership ceased on {estate.died_on:%-d %B %Y}."


HOLDING_ACTIONS = (
    ObjectAction(
        name="record-death",
        label="Record the holder's death",
        permission="record_deaths",
        society_of=lambda holding: holding.share_class.society,
        applies=lambda holding: (
            not Estate.objects.filter(
                holder=holding.holder_id, society=holding.share_class.society_id
            ).exists()
        ),
        preview=lambda holding: [
            f"{holding.holder} is recorded as having died: their membership of {holding.share_class.society} "
            "ceases from that day, so they leave the voting roll.",
            "Their withdrawals, transfers and redemptions still waiting are cancelled. Their shares stay on "
            "the register until they pass to their nominees or their personal representatives.",
        ],
        perform=_record_death,
        form_class=DeathForm,
        icon="warning",
    ),
)


def _representatives(estate, by, data) -> str:
    record_representatives(estate=estate, by=by, **data)
    return f"The personal representatives of {estate.holder} are recorded."


def _pass_nominated(estate, by, data) -> str:
    pass_nominated_property(estate=estate, by=by)
    return f"{estate.holder}'s nominated property has passed to the nominees."


def _pass_to_representatives(estate, by, data) -> str:
    pass_to_representatives(estate=estate, by=by)
    return f"{estate.holder}'s estate is settled."


class EstateViewSet(SocietyScopedViewSet):
    model = Estate
    icon = "user"
    menu_label = "Estates"
    list_display = ["holder", "society", "died_on", "state"]
    list_filter = ["state"]
    inspect_view_enabled = True
    form_fields = []
    object_actions = (
        ObjectAction(
            name="pass-nominated",
            label="Pass the nominated property",
            permission="record_deaths",
            society_of=lambda estate: estate.society,
            applies=lambda estate: estate.nomination_id is not None and estate.state == State.RECORDED,
            preview=lambda estate: plan_nominated_property(estate).sentences(),
            perform=_pass_nominated,
            warning="The register's entries cannot be undone.",
            icon="success",
        ),
        ObjectAction(
            name="record-representatives",
            label="Record the personal representatives",
            permission="record_deaths",
            society_of=lambda estate: estate.society,
            applies=lambda estate: estate.state != State.SETTLED,
            preview=lambda estate: [
                "Record them once you have seen proof of their authority: a grant of probate or of letters "
                "of administration (or their Scottish or Northern Irish equivalent)."
            ],
            perform=_representatives,
            form_class=RepresentativesForm,
            icon="user",
        ),
        ObjectAction(
            name="pass-to-representatives",
            label="Pass the rest to the personal representatives",
            permission="record_deaths",
            society_of=lambda estate: estate.society,
            applies=lambda estate: (
                estate.representatives_recorded_at is not None
                and estate.may_become(State.SETTLED)
                and (estate.nomination_id is None or estate.state == State.NOMINATED_PASSED)
            ),
            preview=lambda estate: plan_for_representatives(estate).sentences(),
            perform=_pass_to_representatives,
            warning="The register's entries cannot be undone.",
            icon="success",
        ),
    )


def _paid(transmission, by, data) -> str:
    mark_transmission_paid(
        transmission=transmission, reference=data["reference"], paid_on=data["paid_on"], by=by
    )
    return f"{format_money(transmission.amount)} to {transmission.recipient_name} is recorded as paid."


class EstateTransmissionViewSet(SocietyScopedViewSet):
    model = EstateTransmission
    society_lookup = "estate__society__in"
    icon = "arrow-right"
    menu_label = "Estates: shares passed"
    list_display = ["estate", "step", "recipient_name", "share_class", "shares", "how", "amount", "paid_on"]
    list_filter = ["step", "how"]
    form_fields = []
    inspect_view_enabled = True
    object_actions = (
        ObjectAction(
            name="paid",
            label="Record the payment",
            permission="pay_withdrawals",
            society_of=lambda transmission: transmission.estate.society,
            applies=lambda transmission: (
                transmission.how != EstateTransmission.How.TRANSFER and transmission.paid_on is None
            ),
            preview=lambda transmission: [
                f"{format_money(transmission.amount)} was paid to {transmission.recipient_name}."
            ],
            perform=_paid,
            form_class=PaidForm,
            icon="tick",
        ),
    )


register_object_actions(Holding, *HOLDING_ACTIONS)

VIEWSETS = (EstateViewSet, EstateTransmissionViewSet)
READ_ONLY_MODELS = (Estate, EstateTransmission)
