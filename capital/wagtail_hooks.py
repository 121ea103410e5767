from wagtail import hooks
from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel, ObjectList
from wagtail.admin.views import generic
from wagtail.admin.viewsets.base import ViewSetGroup
from wagtail.permissions import register_permission_policy

from capital.admin_scoping import ReadOnlyPermissionPolicy, ServiceSaveMixin, SocietyScopedViewSet
from capital.forms import OfferForm, ShareClassForm
from capital.models import AuditEntry, Offer, ShareClass, Society
from capital.services import save_offer, save_share_class, save_society


class SocietyEditView(ServiceSaveMixin, generic.EditView):
    save_service = staticmethod(lambda instance, by: save_society(society=instance, by=by))


class SocietyViewSet(SocietyScopedViewSet):
    model = Society
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
    ]


class ShareClassCreateView(ServiceSaveMixin, generic.CreateView):
    save_service = staticmethod(lambda instance, by: save_share_class(share_class=instance, by=by))


class ShareClassEditView(ServiceSaveMixin, generic.EditView):
    save_service = staticmethod(lambda instance, by: save_share_class(share_class=instance, by=by))


class ShareClassViewSet(SocietyScopedViewSet):
    model = ShareClass
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


class OfferViewSet(SocietyScopedViewSet):
    model = Offer
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
        ],
        base_form_class=OfferForm,
    )


class AuditEntryViewSet(SocietyScopedViewSet):
    model = AuditEntry
    icon = "history"
    menu_label = "Audit trail"
    form_fields = []
    list_display = ["recorded_at", "society", "action", "summary", "actor"]
    list_filter = ["action"]
    inspect_view_enabled = True


register_permission_policy(AuditEntry, ReadOnlyPermissionPolicy(AuditEntry))


class CapitalGroup(ViewSetGroup):
    menu_label = "Capital"
    menu_icon = "group"
    menu_order = 200
    items = (SocietyViewSet, ShareClassViewSet, OfferViewSet, AuditEntryViewSet)


@hooks.register("register_admin_viewset")
def register_capital_viewsets():
    return CapitalGroup()
