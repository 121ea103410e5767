from django import forms
from django.urls import path, reverse
from django.utils import timezone
from wagtail import hooks
from wagtail.admin.viewsets.base import ViewSetGroup
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.permissions import register_permission_policy

from capital.admin_actions import ObjectAction
from capital.admin_scoping import ReadOnlyPermissionPolicy, RoleMenuItem, SocietyScopedViewSet
from capital.errors import CapitalError
from capital.money import format_money
from investors.admin_runs import DistributionRunViewSet, StartRunView, payment_file
from investors.admin_views import (
    BankStatementImportView,
    DocumentJobsView,
    document_job_progress,
    resume_document_job,
)
from investors.admin_withdrawals import WithdrawalRequestViewSet
from investors.errors import PaymentError
from investors.models import (
    Application,
    BankStatementLine,
    CardPayment,
    DistributionRun,
    Payment,
    Refund,
    WebhookEvent,
    WithdrawalRequest,
)
from investors.services.payments import confirm_payment


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
    applies=lambda application: (
        application.payment_method == Application.PaymentMethod.BANK_TRANSFER
        and application.state in (Application.State.AWAITING_PAYMENT, Application.State.EXPIRED)
    ),
    preview=lambda application: [
        f"{application.holder} applied for {application.shares} shares: "
        f"{format_money(application.amount)} with reference {application.payment_reference}.",
        "The application becomes paid if it still can; otherwise the money is put on the refund "
        "list, never dropped.",
    ],
    perform=_record_bank_payment,
    form_class=BankPaymentForm,
    refusals=(CapitalError, PaymentError),
    icon="tick",
)


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
    object_actions = (RECORD_BANK_PAYMENT,)
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


for model in (
    Application,
    Payment,
    Refund,
    CardPayment,
    BankStatementLine,
    WebhookEvent,
    DistributionRun,
    WithdrawalRequest,
):
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
        DistributionRunViewSet,
        WithdrawalRequestViewSet,
        WebhookEventViewSet,
    )


@hooks.register("register_admin_viewset")
def register_investor_viewsets():
    return MoneyGroup()


@hooks.register("register_admin_urls")
def register_bank_statement_import():
    return [path("bank-statements/import/", BankStatementImportView.as_view(), name="bank_statement_import")]


@hooks.register("register_admin_urls")
def register_run_views():
    return [
        path("runs/start/", StartRunView.as_view(), name="start_run"),
        path("runs/<int:pk>/payment-file/", payment_file, name="run_payment_file"),
    ]


@hooks.register("register_admin_urls")
def register_document_jobs():
    return [
        path("documents/bulk/", DocumentJobsView.as_view(), name="document_jobs"),
        path("documents/bulk/<int:pk>/progress/", document_job_progress, name="document_job_progress"),
        path("documents/bulk/<int:pk>/resume/", resume_document_job, name="document_job_resume"),
    ]


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
def register_start_run_menu_item():
    return RoleMenuItem(
        "Start a distribution run", reverse("start_run"), icon_name="resubmit", order=235, action="start_runs"
    )


@hooks.register("register_admin_menu_item")
def register_document_jobs_menu_item():
    return RoleMenuItem(
        "Documents", reverse("document_jobs"), icon_name="doc-full", order=240, action="issue_documents"
    )
