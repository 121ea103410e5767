from django.urls import path, reverse
from wagtail import hooks
from wagtail.admin.viewsets.base import ViewSetGroup
from wagtail.permissions import register_permission_policy

from capital.admin_scoping import ReadOnlyPermissionPolicy, RoleMenuItem, SocietyScopedViewSet
from shares.admin_views import RegisterView, ledger_csv_download, register_csv_download, register_pdf_download
from shares.exemption_admin import HoldingLimitExemptionViewSet
from shares.models import Certificate, Holder, Holding, LedgerEntry


class LedgerEntryViewSet(SocietyScopedViewSet):
    model = LedgerEntry
    icon = "list-ol"
    menu_label = "Ledger"
    list_display = [
        "sequence",
        "society",
        "kind",
        "holder",
        "share_class",
        "shares",
        "amount",
        "effective_date",
    ]
    list_filter = ["kind"]
    inspect_view_enabled = True
    form_fields = []


class HoldingViewSet(SocietyScopedViewSet):
    model = Holding
    society_lookup = "share_class__society__in"
    icon = "table"
    menu_label = "Holdings"
    list_display = ["holder", "share_class", "shares", "amount_paid", "first_issued_on", "ceased_on"]
    inspect_view_enabled = True
    form_fields = []


class HolderViewSet(SocietyScopedViewSet):
    """Holders a board may see: those who hold, or have applied for, its society's shares."""

    model = Holder
    society_lookup = "holdings__share_class__society__in"
    icon = "user"
    menu_label = "Holders"
    list_display = ["name", "kind", "email"]
    inspect_view_enabled = True
    form_fields = []


class CertificateViewSet(SocietyScopedViewSet):
    model = Certificate
    icon = "doc-full-inverse"
    menu_label = "Certificates"
    list_display = ["number", "holder", "share_class", "shares", "issued_on", "state"]
    list_filter = ["state"]
    inspect_view_enabled = True
    form_fields = []


for model in (LedgerEntry, Holding, Holder, Certificate):
    register_permission_policy(model, ReadOnlyPermissionPolicy(model))


class RegisterGroup(ViewSetGroup):
    menu_label = "Register"
    menu_icon = "list-ol"
    menu_order = 210
    items = (
        LedgerEntryViewSet,
        HoldingViewSet,
        HolderViewSet,
        CertificateViewSet,
        HoldingLimitExemptionViewSet,
    )


@hooks.register("register_admin_viewset")
def register_register_viewsets():
    return RegisterGroup()


@hooks.register("register_admin_urls")
def register_register_views():
    return [
        path("register/", RegisterView.as_view(), name="register"),
        path("register/<slug:slug>/register.csv", register_csv_download, name="register_csv"),
        path("register/<slug:slug>/register.pdf", register_pdf_download, name="register_pdf"),
        path("register/<slug:slug>/ledger.csv", ledger_csv_download, name="ledger_csv"),
    ]


@hooks.register("register_admin_menu_item")
def register_register_menu_item():
    return RoleMenuItem(
        "Verify and download the register",
        reverse("register"),
        icon_name="list-ol",
        order=215,
        action="view_register",
    )
