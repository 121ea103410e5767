from wagtail import hooks
from wagtail.admin.viewsets.base import ViewSetGroup
from wagtail.permissions import register_permission_policy

from capital.admin_scoping import ReadOnlyPermissionPolicy, SocietyScopedViewSet
from investors.models import Application, Payment, Refund


class ApplicationViewSet(SocietyScopedViewSet):
    model = Application
    society_lookup = "offer__share_class__society__in"
    icon = "form"
    menu_label = "Applications"
    list_display = ["payment_reference", "holder", "offer", "shares", "amount", "state", "created_at"]
    list_filter = ["state", "payment_method"]
    search_fields = ["payment_reference", "holder__name", "holder__email"]
    inspect_view_enabled = True
    form_fields = []


class PaymentViewSet(SocietyScopedViewSet):
    model = Payment
    society_lookup = "application__offer__share_class__society__in"
    icon = "doc-full"
    menu_label = "Payments"
    list_display = ["application", "method", "amount", "provider_reference", "received_on"]
    inspect_view_enabled = True
    form_fields = []


class RefundViewSet(SocietyScopedViewSet):
    model = Refund
    society_lookup = "application__offer__share_class__society__in"
    icon = "undo"
    menu_label = "Refunds"
    list_display = ["application", "amount", "reason", "state", "paid_reference"]
    list_filter = ["state", "reason"]
    inspect_view_enabled = True
    form_fields = []


for model in (Application, Payment, Refund):
    register_permission_policy(model, ReadOnlyPermissionPolicy(model))


class MoneyGroup(ViewSetGroup):
    menu_label = "Investors"
    menu_icon = "user"
    menu_order = 220
    items = (ApplicationViewSet, PaymentViewSet, RefundViewSet)


@hooks.register("register_admin_viewset")
def register_investor_viewsets():
    return MoneyGroup()
