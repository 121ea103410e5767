from django.urls import path, reverse
from wagtail import hooks
from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel, ObjectList
from wagtail.admin.views import generic
from wagtail.admin.viewsets.base import ViewSetGroup
from wagtail.permissions import register_permission_policy

from capital.admin_actions import ObjectAction
from capital.admin_scoping import (
    ReadOnlyPermissionPolicy,
    RoleMenuItem,
    ServiceSaveMixin,
    SocietyScopedViewSet,
)
from capital.admin_views import AppointBoardMemberView
from capital.forms import OfferForm, ShareClassForm, SurplusRulesForm
from capital.models import AuditEntry, Offer, ShareClass, Society, SocietyRole, SurplusRules
from capital.money import format_money
from capital.schedule_admin import ReturnScheduleViewSet
from capital.services import (
    close_offer,
    open_offer,
    remove_board_member,
    save_offer,
    save_share_class,
    save_society,
    save_surplus_rules,
)


class SocietyEditView(ServiceSaveMixin, generic.EditView):
    save_service = staticmethod(lambda instance, by: save_society(society=instance, by=by))


class SocietyViewSet(SocietyScopedViewSet):
    model = Society
    edit_permission = "manage_society"
    edit_view_class = SocietyEditView
    society_lookup = "pk__in"
    icon = "group"
    menu_label = "Societies"
    list_display = ["name", "registration_number", "legal_form"]
    inspect_view_enabled = True
    panels = [
        FieldPanel("name"),
        FieldPanel("slug"),
        FieldRowPanel([FieldPanel("legal_form"), FieldPanel("registration_number")]),
        FieldPanel("registered_office"),
        FieldRowPanel([FieldPanel("financial_year_end_day"), FieldPanel("financial_year_end_month")]),
        FieldRowPanel([FieldPanel("currency"), FieldPanel("individual_withdrawable_limit")]),
        FieldPanel("minimum_member_age"),
        MultiFieldPanel(
            [
                FieldPanel("bank_account_name"),
                FieldRowPanel([FieldPanel("bank_sort_code"), FieldPanel("bank_account_number")]),
                FieldPanel("bank_iban"),
            ],
            heading="Bank account for investors' transfers",
        ),
        FieldPanel("logo"),
    ]


class ShareClassCreateView(ServiceSaveMixin, generic.CreateView):
    save_service = staticmethod(lambda instance, by: save_share_class(share_class=instance, by=by))


class ShareClassEditView(ServiceSaveMixin, generic.EditView):
    save_service = staticmethod(lambda instance, by: save_share_class(share_class=instance, by=by))


class ShareClassViewSet(SocietyScopedViewSet):
    model = ShareClass
    edit_permission = "manage_share_classes"
    icon = "tag"
    menu_label = "Share classes"
    list_display = ["name", "society", "kind", "nominal_value", "confers_membership"]
    list_filter = ["kind"]
    inspect_view_enabled = True
    add_view_class = ShareClassCreateView
    edit_view_class = ShareClassEditView
    edit_handler = ObjectList(
        [
            FieldPanel("society"),
            FieldRowPanel([FieldPanel("name"), FieldPanel("kind")]),
            FieldRowPanel([FieldPanel("nominal_value"), FieldPanel("maximum_holding_shares")]),
            FieldRowPanel([FieldPanel("withdrawable"), FieldPanel("transferable")]),
            FieldPanel("declared_maximum_interest_percent"),
            MultiFieldPanel(
                [
                    FieldRowPanel(
                        [FieldPanel("withdrawal_notice_days"), FieldPanel("withdrawals_open_from")]
                    ),
                    FieldPanel("withdrawal_yearly_limit"),
                ],
                heading="Withdrawals (the society's rules; suspending is an action on the class)",
            ),
            MultiFieldPanel(
                [
                    FieldRowPanel(
                        [FieldPanel("redemption_minimum_holding_years"), FieldPanel("redemption_price")]
                    )
                ],
                heading="Redemption from the redemption fund (investor shares)",
            ),
            MultiFieldPanel(
                [
                    FieldPanel("confers_membership"),
                    FieldPanel("membership_minimum_shares"),
                    FieldPanel("carries_votes"),
                    FieldPanel("can_nominate_directors"),
                    FieldPanel("can_remove_directors"),
                    FieldPanel("has_veto_or_class_consent"),
                ],
                heading="Membership and control (an investor class may have none of these)",
            ),
        ],
        base_form_class=ShareClassForm,
    )


class OfferCreateView(ServiceSaveMixin, generic.CreateView):
    save_service = staticmethod(lambda instance, by: save_offer(offer=instance, by=by))


class OfferEditView(ServiceSaveMixin, generic.EditView):
    save_service = staticmethod(lambda instance, by: save_offer(offer=instance, by=by))


def _offer_terms(offer: Offer) -> str:
    return (
        f"{offer.share_class.name} at {format_money(offer.price_per_share)} a share, raising "
        f"{format_money(offer.minimum_target)} to {format_money(offer.maximum_target)}"
    )


OFFER_ACTIONS = (
    ObjectAction(
        name="open",
        label="Open the offer",
        permission="manage_offers",
        society_of=lambda offer: offer.society,
        applies=lambda offer: offer.may_become(Offer.State.OPEN),
        preview=lambda offer: [
            f"“{offer.title}” starts taking applications: {_offer_terms(offer)}.",
            f"It takes applications from {offer.opens_at:%-d %B %Y %H:%M} until "
            f"{offer.closes_at:%-d %B %Y %H:%M}.",
            "Once open, the offer's terms can no longer be changed.",
        ],
        perform=lambda offer, by, data: f"“{open_offer(offer=offer, by=by).title}” is open.",
        icon="arrow-right",
    ),
    ObjectAction(
        name="close",
        label="Close the offer",
        permission="manage_offers",
        society_of=lambda offer: offer.society,
        applies=lambda offer: offer.may_become(Offer.State.CLOSED),
        preview=lambda offer: [
            f"“{offer.title}” stops taking applications now.",
            "Applications already made stay as they are until a director allocates the offer.",
        ],
        perform=lambda offer, by, data: f"“{close_offer(offer=offer, by=by).title}” is closed.",
        icon="lock",
    ),
)


class OfferViewSet(SocietyScopedViewSet):
    model = Offer
    edit_permission = "manage_offers"
    society_lookup = "share_class__society__in"
    icon = "doc-full"
    menu_label = "Offers"
    list_display = [
        "title",
        "share_class",
        "state",
        "opens_at",
        "closes_at",
        "shares_reserved",
        "shares_allocated",
    ]
    list_filter = ["state", "policy"]
    inspect_view_enabled = True
    object_actions = OFFER_ACTIONS
    add_view_class = OfferCreateView
    edit_view_class = OfferEditView
    edit_handler = ObjectList(
        [
            FieldPanel("share_class"),
            FieldPanel("title"),
            FieldRowPanel([FieldPanel("opens_at"), FieldPanel("closes_at")]),
            FieldPanel("price_per_share"),
            FieldRowPanel([FieldPanel("minimum_target"), FieldPanel("maximum_target")]),
            FieldRowPanel([FieldPanel("minimum_per_investor"), FieldPanel("maximum_per_investor")]),
            FieldRowPanel(
                [FieldPanel("policy"), FieldPanel("card_charge"), FieldPanel("reservation_period")]
            ),
            FieldRowPanel(
                [FieldPanel("accepts_bank_transfer"), FieldPanel("accepts_card")],
                heading="Payment methods accepted",
            ),
            FieldPanel("risk_warning"),
        ],
        base_form_class=OfferForm,
    )


class SurplusRulesSaveMixin(ServiceSaveMixin):
    """Saved through the directors' service, with the board's confirmation when it is needed."""

    def save_instance(self):
        instance = self.form.save(commit=False)
        save_surplus_rules(
            rules=instance,
            by=self.request.user,
            confirm_below_guidance=self.form.cleaned_data.get("confirm_below_guidance", False),
        )
        return instance


class SurplusRulesCreateView(SurplusRulesSaveMixin, generic.CreateView):
    pass


class SurplusRulesEditView(SurplusRulesSaveMixin, generic.EditView):
    pass


class SurplusRulesViewSet(SocietyScopedViewSet):
    """One set of FairShares surplus rules per society, set by its directors."""

    model = SurplusRules
    edit_permission = "manage_surplus_rules"
    icon = "cogs"
    menu_label = "Surplus rules"
    list_display = [
        "society",
        "reserves_percent",
        "labour_percent",
        "user_percent",
        "investor_percent",
        "investor_maximum_percent",
    ]
    inspect_view_enabled = True
    add_view_class = SurplusRulesCreateView
    edit_view_class = SurplusRulesEditView
    edit_handler = ObjectList(
        [
            FieldPanel("society"),
            MultiFieldPanel(
                [
                    FieldRowPanel(
                        [
                            FieldPanel("reserves_percent"),
                            FieldPanel("labour_percent"),
                            FieldPanel("user_percent"),
                            FieldPanel("investor_percent"),
                        ]
                    ),
                    FieldPanel("investor_maximum_percent"),
                    FieldPanel("confirm_below_guidance"),
                ],
                heading="The split of each year's surplus (adding up to 100%)",
            ),
            MultiFieldPanel(
                [
                    FieldPanel("labour_class"),
                    FieldRowPanel([FieldPanel("labour_basis"), FieldPanel("labour_pay_as")]),
                ],
                heading="Labour",
            ),
            MultiFieldPanel(
                [FieldPanel("user_class"), FieldPanel("user_pay_as")],
                heading="User (the co-operative dividend on trade)",
            ),
            FieldPanel("member_shares_class"),
        ],
        base_form_class=SurplusRulesForm,
    )


def _remove_seat(seat, by, data) -> str:
    remove_board_member(seat=seat, by=by)
    return f"{seat.member_name()} is no longer {seat.get_role_display().lower()} of {seat.society}."


class SocietyRoleViewSet(SocietyScopedViewSet):
    """The board's seats. Appointing is its own form (by email, so no list of every user on the
    platform is shown); removing is an action behind a confirmation."""

    model = SocietyRole
    icon = "user"
    menu_label = "Board"
    list_display = ["member_name", "role", "society"]
    list_filter = ["role"]
    form_fields = []
    object_actions = (
        ObjectAction(
            name="remove",
            label="Remove from the board",
            permission="manage_board",
            society_of=lambda seat: seat.society,
            applies=lambda seat: True,
            preview=lambda seat: [
                f"{seat.member_name()} stops being {seat.get_role_display().lower()} of {seat.society}.",
                "They lose access to this society's admin at once; a society always keeps one director.",
            ],
            perform=_remove_seat,
            icon="bin",
        ),
    )


class AuditEntryViewSet(SocietyScopedViewSet):
    model = AuditEntry
    icon = "history"
    menu_label = "Audit trail"
    form_fields = []
    list_display = ["recorded_at", "society", "action", "summary", "actor"]
    list_filter = ["action"]
    inspect_view_enabled = True
    # The board's download of its audit trail (CSV or XLSX), formula cells neutralised.
    list_export = ["recorded_at", "society", "action", "summary", "actor"]
    export_filename = "audit-trail"


for model in (AuditEntry, SocietyRole):
    register_permission_policy(model, ReadOnlyPermissionPolicy(model))


class CapitalGroup(ViewSetGroup):
    menu_label = "Capital"
    menu_icon = "group"
    menu_order = 200
    items = (
        SocietyViewSet,
        SocietyRoleViewSet,
        ShareClassViewSet,
        ReturnScheduleViewSet,
        OfferViewSet,
        SurplusRulesViewSet,
        AuditEntryViewSet,
    )


@hooks.register("register_admin_viewset")
def register_capital_viewsets():
    return CapitalGroup()


@hooks.register("register_admin_urls")
def register_appoint_view():
    return [path("board/appoint/", AppointBoardMemberView.as_view(), name="appoint_board_member")]


@hooks.register("register_admin_menu_item")
def register_appoint_menu_item():
    return RoleMenuItem(
        "Appoint a board member",
        reverse("appoint_board_member"),
        icon_name="user",
        order=205,
        action="manage_board",
    )
