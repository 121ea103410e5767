"""Payments in the board's admin: what was received (payments, card payments, bank lines), what
goes back (refunds), Stripe's events as received (platform staff only), and the treasurer's
bank statement upload (the same service as `manage.py import_bank_statement`)."""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.urls import path, reverse
from django.views.generic import FormView
from wagtail.admin.viewsets.model import ModelViewSet

from capital import permissions
from capital.admin_actions import AdminPage
from capital.admin_scoping import RoleMenuItem, SocietyScopedViewSet
from capital.errors import Refusal
from capital.models import Society
from investors.models import (
    BankStatementImport,
    BankStatementLine,
    CardPayment,
    Payment,
    Refund,
    WebhookEvent,
)
from investors.payments.bank_import import IN_REQUEST_LINES, import_bank_statement, queue_bank_statement

MAX_STATEMENT_BYTES = 5 * 1024 * 1024


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


class BankStatementImportViewSet(SocietyScopedViewSet):
    """Each statement file uploaded, and how far its import has gone (large files are imported
    by a background job: refresh the list to follow it)."""

    model = BankStatementImport
    icon = "upload"
    menu_label = "Bank statements"
    list_display = ["created_at", "source_name", "state", "progress", "imported_by"]
    list_filter = ["state"]
    inspect_view_enabled = True
    inspect_view_fields = [
        "source_name",
        "state",
        "progress",
        "lines_total",
        "lines_read",
        "summary",
        "error",
        "imported_by",
        "created_at",
        "finished_at",
        "digest",
    ]
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


class BankStatementForm(forms.Form):
    society = forms.ModelChoiceField(queryset=Society.objects.none())
    statement = forms.FileField(help_text="CSV with a header row naming at least date, amount and reference.")

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["society"].queryset = permissions.societies_for(user)

    def clean_statement(self):
        upload = self.cleaned_data["statement"]
        if upload.size > MAX_STATEMENT_BYTES:
            raise forms.ValidationError("That file is too large for a bank statement (5 MB at most).")
        try:
            return upload.read().decode("utf-8-sig")
        except UnicodeDecodeError:
            raise forms.ValidationError("The file is not text (CSV, UTF-8).") from None


class BankStatementImportView(AdminPage, FormView):
    template_name = "investors/admin/bank_statement_import.html"
    submit_label = "Import"
    form_class = BankStatementForm
    page_title = "Import a bank statement"
    header_icon = "upload"

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user}

    def form_valid(self, form):
        society = form.cleaned_data["society"]
        if not permissions.may(self.request.user, "record_payments", society):
            raise PermissionDenied
        text = form.cleaned_data["statement"]
        arguments = {
            "society": society,
            "text": text,
            "source_name": self.request.FILES["statement"].name,
            "by": self.request.user,
        }
        try:
            if text.count("\n") > IN_REQUEST_LINES:
                statement = queue_bank_statement(**arguments)
            else:
                result = import_bank_statement(**arguments)
        except Refusal as error:
            form.add_error("statement", str(error))
            return self.form_invalid(form)
        if text.count("\n") > IN_REQUEST_LINES:
            messages.success(
                self.request,
                f"{statement.lines_total:,} lines are being imported in the background: "
                "this list shows how far it has gone (refresh it).",
            )
            return redirect("bankstatementimport:index")
        messages.success(self.request, result.summary())
        return redirect("bankstatementline:index")


# Read by investors/wagtail_hooks.py, which registers every feature's admin.
VIEWSETS = (
    PaymentViewSet,
    CardPaymentViewSet,
    RefundViewSet,
    BankStatementLineViewSet,
    BankStatementImportViewSet,
)
STAFF_VIEWSETS = (WebhookEventViewSet,)
READ_ONLY_MODELS = (Payment, Refund, CardPayment, BankStatementLine, BankStatementImport, WebhookEvent)


def admin_urls():
    return [path("bank-statements/import/", BankStatementImportView.as_view(), name="bank_statement_import")]


def menu_item():
    return RoleMenuItem(
        "Import bank statement",
        reverse("bank_statement_import"),
        icon_name="upload",
        order=230,
        action="record_payments",
    )
