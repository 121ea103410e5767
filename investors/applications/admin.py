"""Applications in the board's admin: the list (with its export), recording a bank payment the
treasurer has seen on the statement, and "Allocate" on capital's offer admin, added through
its registry."""

from django import forms
from django.utils import timezone

from capital.admin_actions import ObjectAction, register_object_actions
from capital.admin_scoping import SocietyScopedViewSet
from capital.models import Offer
from capital.money import format_money
from investors.applications.allocation import allocate_offer, preview_allocation
from investors.applications.cancellation import (
    REASON_MAX_LENGTH,
    cancel_application_for_reason,
    may_be_cancelled,
)
from investors.models import Application
from investors.payments.card_allocation import take_held_card_again
from investors.payments.services import confirm_payment


class BankPaymentForm(forms.Form):
    """A bank transfer the treasurer has seen on the statement, for one application."""

    needs_instance = True
    amount = forms.DecimalField(decimal_places=2, min_value=0.01, help_text="As it appears on the statement.")
    bank_reference = forms.CharField(
        max_length=100, help_text="The statement line's own reference, so it is never recorded twice."
    )
    received_on = forms.DateField(initial=timezone.localdate)

    def __init__(self, *args, instance, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["amount"].initial = instance.amount.amount


def _record_bank_payment(application, by, data) -> str:
    confirm_payment(
        application=application,
        amount=application.offer.society.money(data["amount"]),
        method=Application.PaymentMethod.BANK_TRANSFER,
        provider_reference=data["bank_reference"],
        received_on=data["received_on"],
        by=by,
    )
    application.refresh_from_db()
    return f"{application.payment_reference}: {application.get_state_display().lower()}."


RECORD_BANK_PAYMENT = ObjectAction(
    name="bank-payment",
    label="Record a bank payment",
    permission="record_payments",
    society_of=lambda application: application.offer.society,
    # Awaiting payment, or lapsed: money that arrives is taken if it still can be.
    applies=lambda application: (
        application.payment_method == Application.PaymentMethod.BANK_TRANSFER
        and application.may_become(Application.State.PAID)
    ),
    preview=lambda application: [
        f"{application.holder} applied for {application.shares} shares: "
        f"{format_money(application.amount)} with reference {application.payment_reference}.",
        "The application becomes paid if it still can; otherwise the money is put on the refund "
        "list, never dropped.",
    ],
    perform=_record_bank_payment,
    form_class=BankPaymentForm,
    icon="tick",
)


class CancelApplicationForm(forms.Form):
    reason = forms.CharField(
        max_length=REASON_MAX_LENGTH,
        widget=forms.Textarea({"rows": 3}),
        help_text="Sent to the investor as it is written, and kept in the audit trail.",
    )


def _cancel_preview(application: Application) -> list[str]:
    by_card = application.payment_method == Application.PaymentMethod.CARD
    if application.state == Application.State.PAID:
        what = (
            f"The application is cancelled and the {format_money(application.amount)} paid is owed back"
            + (" to the card, through Stripe." if by_card else ", on the refund list for the treasurer.")
        )
    else:
        what = "The application is cancelled and its shares are released; a hold on a card is released."
    return [
        f"{application.payment_reference}: {application.holder} for {application.shares} shares "
        f"({format_money(application.amount)}), {application.get_state_display().lower()}.",
        what,
        "The investor is emailed the reason you give.",
    ]


def _cancel(application, by, data) -> str:
    cancelled = cancel_application_for_reason(application=application, by=by, reason=data["reason"])
    return f"{cancelled.payment_reference} is cancelled and its investor told."


CANCEL_APPLICATION = ObjectAction(
    name="cancel",
    label="Cancel the application",
    permission="cancel_applications",
    society_of=lambda application: application.offer.society,
    applies=may_be_cancelled,
    preview=_cancel_preview,
    perform=_cancel,
    form_class=CancelApplicationForm,
    warning="Only a director may cancel an application.",
    icon="cross",
)

TAKE_HELD_CARD = ObjectAction(
    name="take-card",
    label="Take the held card again",
    permission="allocate_offers",
    society_of=lambda application: application.offer.society,
    applies=lambda application: (
        application.card_still_to_take and application.state == Application.State.AWAITING_PAYMENT
    ),
    preview=lambda application: [
        f"Stripe could not be reached to take {format_money(application.amount)} from the card of "
        f"{application.holder} ({application.payment_reference}) when the offer was allocated; its "
        f"{application.shares} shares are set aside.",
        "The card is asked for exactly that amount, under the same request as before, so it is never "
        "taken twice. Once it is taken the shares are issued through the register; a card refused "
        "cancels the application and its investor is told.",
    ],
    perform=lambda application, by, data: take_held_card_again(application=application, by=by),
    warning="Only a director may take a card after allocation.",
    icon="tick",
)

ALLOCATE = ObjectAction(
    name="allocate",
    label="Allocate the offer",
    permission="allocate_offers",
    society_of=lambda offer: offer.society,
    applies=lambda offer: offer.may_become(Offer.State.ALLOCATED),
    preview=preview_allocation,
    perform=lambda offer, by, data: allocate_offer(offer=offer, by=by).summary(),
    warning="Allocation writes to the register and cannot be undone. Only a director may allocate.",
    icon="success",
)


class ApplicationViewSet(SocietyScopedViewSet):
    model = Application
    society_lookup = "offer__share_class__society__in"
    icon = "form"
    menu_label = "Applications"
    list_display = ["payment_reference", "holder", "offer", "shares", "amount", "state", "created_at"]
    list_filter = ["state", "payment_method", "card_still_to_take"]
    search_fields = ["payment_reference", "holder__name", "holder__email"]
    inspect_view_enabled = True
    form_fields = []
    object_actions = (RECORD_BANK_PAYMENT, TAKE_HELD_CARD, CANCEL_APPLICATION)
    list_export = [
        "payment_reference",
        "holder",
        "offer",
        "shares",
        "amount",
        "payment_method",
        "state",
        "created_at",
        "paid_at",
        "shares_allocated",
    ]
    export_filename = "applications"


register_object_actions(Offer, ALLOCATE)

VIEWSETS = (ApplicationViewSet,)
READ_ONLY_MODELS = (Application,)
