from django.urls import path, reverse
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.viewsets.base import ViewSetGroup
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.permissions import register_permission_policy

from capital import permissions
from capital.admin_scoping import ReadOnlyPermissionPolicy, SocietyScopedViewSet
from capital.models import SocietyRole
from investors.admin_views import (
    BankStatementImportView,
    DocumentJobsView,
    document_job_progress,
    resume_document_job,
)
from investors.models import Application, BankStatementLine, CardPayment, Payment, Refund, WebhookEvent


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


class CardPaymentViewSet(SocietyScopedViewSet):
    model = CardPayment
    society_lookup = "application__offer__share_class__society__in"
    icon = "doc-full"
    menu_label = "Card payments"
    list_display = ["application", "intent_id", "amount", "status", "disputed", "created_at"]
    list_filter = ["status", "disputed"]
    inspect_view_enabled = True
    form_fields = []


class BankStatementLineViewSet(SocietyScopedViewSet):
    model = BankStatementLine
    icon = "list-ul"
    menu_label = "Bank lines"
    list_display = ["date", "amount", "reference", "status", "application", "note"]
    list_filter = ["status"]
    inspect_view_enabled = True
    form_fields = []


class WebhookEventViewSet(ModelViewSet):
    """Stripe's events as received; platform staff only (they belong to no one society)."""

    model = WebhookEvent
    icon = "warning"
    menu_label = "Stripe events"
    list_display = ["received_at", "event_id", "type", "outcome", "note"]
    list_filter = ["outcome", "type"]
    inspect_view_enabled = True
    copy_view_enabled = False
    form_fields = []


for model in (Application, Payment, Refund, CardPayment, BankStatementLine, WebhookEvent):
    register_permission_policy(model, ReadOnlyPermissionPolicy(model))


class MoneyGroup(ViewSetGroup):
    menu_label = "Investors"
    menu_icon = "user"
    menu_order = 220
    items = (
        ApplicationViewSet,
        PaymentViewSet,
        CardPaymentViewSet,
        RefundViewSet,
        BankStatementLineViewSet,
        WebhookEventViewSet,
    )


@hooks.register("register_admin_viewset")
def register_investor_viewsets():
    return MoneyGroup()


@hooks.register("register_admin_urls")
def register_bank_statement_import():
    return [path("bank-statements/import/", BankStatementImportView.as_view(), name="bank_statement_import")]


@hooks.register("register_admin_urls")
def register_document_jobs():
    return [
        path("documents/bulk/", DocumentJobsView.as_view(), name="document_jobs"),
        path("documents/bulk/<int:pk>/progress/", document_job_progress, name="document_job_progress"),
        path("documents/bulk/<int:pk>/resume/", resume_document_job, name="document_job_resume"),
    ]


class RoleMenuItem(MenuItem):
    """Shown to board members whose role allows `action` in at least one society."""

    def __init__(self, *args, action, **kwargs):
        super().__init__(*args, **kwargs)
        self.action = action

    def is_shown(self, request):
        user = request.user
        return (
            user.is_superuser
            or SocietyRole.objects.filter(user=user, role__in=permissions.ACTION_ROLES[self.action]).exists()
        )


@hooks.register("register_admin_menu_item")
def register_bank_statement_menu_item():
    return RoleMenuItem(
        "Import bank statement",
        reverse("bank_statement_import"),
        icon_name="upload",
        order=230,
        action="record_payments",
    )


@hooks.register("register_admin_menu_item")
def register_document_jobs_menu_item():
    return RoleMenuItem(
        "Documents", reverse("document_jobs"), icon_name="doc-full", order=240, action="issue_documents"
    )
