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
from capital.admin_actions import AdminPage, ObjectAction
from capital.admin_scoping import RoleMenuItem, SocietyScopedViewSet
from capital.errors import Refusal
from capital.models import Society
from capital.money import format_money
from investors.models import (
    BankStatementImport,
    BankStatementLine,
    CardPayment,
    Payment,
    Refund,
    WebhookEvent,
)
from investors.payments.bank_import import IN_REQUEST_LINES, import_bank_statement, queue_bank_statement
from investors.payments.bank_lines import (
    OPEN,
    REFUND,
    REQUEST_REST,
    application_for_reference,
    dismiss_bank_line,
    match_bank_line,
    record_line_sent_back,
    refund_bank_line,
)

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


# --- The treasurer's decisions on bank lines ----------------------------------------------------------

LineStatus = BankStatementLine.Status


class MatchLineForm(forms.Form):
    needs_instance = True
    reference = forms.CharField(
        max_length=20, label="Application's payment reference", help_text="For example CS-ABCD2345."
    )
    short = forms.ChoiceField(
        choices=[
            (REQUEST_REST, "Record it and ask the investor for the rest"),
            (REFUND, "Put it on the application's refund list"),
        ],
        initial=REQUEST_REST,
        widget=forms.RadioSelect,
        label="If the line is less than the application",
    )

    def __init__(self, *args, instance, **kwargs):
        super().__init__(*args, **kwargs)
        self.line = instance
        if instance.application_id:
            self.fields["reference"].initial = instance.application.payment_reference

    def clean_reference(self):
        try:
            self.application = application_for_reference(
                society=self.line.society, reference=self.cleaned_data["reference"]
            )
        except Refusal as error:
            raise forms.ValidationError(str(error)) from None
        return self.application.payment_reference


class ReasonForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), label="Why")


class SentBackForm(forms.Form):
    reference = forms.CharField(max_length=200, label="The bank's reference for the money sent back")


def _line_preview(line) -> list[str]:
    sentences = [f"{line.date:%-d %B %Y}: {format_money(line.amount)} with reference {line.reference!r}."]
    if line.note:
        sentences.append(line.note)
    return sentences


def _match(line, by, data) -> str:
    application = application_for_reference(society=line.society, reference=data["reference"])
    return match_bank_line(line=line, application=application, by=by, short=data["short"]).summary()


def _receipt(line) -> bool:
    return line.amount.amount > 0


BANK_LINE_ACTIONS = (
    ObjectAction(
        name="match",
        label="Match to an application",
        permission="record_payments",
        society_of=lambda line: line.society,
        applies=lambda line: line.status in OPEN and _receipt(line),
        preview=_line_preview,
        perform=_match,
        form_class=MatchLineForm,
        icon="link",
    ),
    ObjectAction(
        name="refund",
        label="Mark for refund",
        permission="record_payments",
        society_of=lambda line: line.society,
        applies=lambda line: line.status in BankStatementLine.UNMATCHED and _receipt(line),
        preview=_line_preview,
        perform=lambda line, by, data: (
            f"{format_money(refund_bank_line(line=line, reason=data['reason'], by=by).amount)} is on the "
            "refund list: send it back, then record it sent back."
        ),
        form_class=ReasonForm,
        icon="undo",
    ),
    ObjectAction(
        name="sent-back",
        label="Record the money sent back",
        permission="record_payments",
        society_of=lambda line: line.society,
        applies=lambda line: line.status == LineStatus.TO_REFUND and not line.application_id,
        preview=_line_preview,
        perform=lambda line, by, data: (
            f"{format_money(record_line_sent_back(line=line, reference=data['reference'], by=by).amount)} "
            "is recorded as sent back."
        ),
        form_class=SentBackForm,
        icon="tick",
    ),
    ObjectAction(
        name="dismiss",
        label="Dismiss with a reason",
        permission="record_payments",
        society_of=lambda line: line.society,
        applies=lambda line: line.status in (*BankStatementLine.UNMATCHED, LineStatus.NOT_RECEIPT),
        preview=_line_preview,
        perform=lambda line, by, data: (
            f"The line is dismissed: {dismiss_bank_line(line=line, reason=data['reason'], by=by).note}"
        ),
        form_class=ReasonForm,
        icon="cross",
    ),
)


class BankStatementLineViewSet(SocietyScopedViewSet):
    """Every line imported: matched, waiting for the treasurer, or decided (with who and why)."""

    model = BankStatementLine
    icon = "list-ul"
    menu_label = "Bank lines"
    list_display = ["date", "amount", "reference", "status", "application", "note"]
    list_filter = ["status"]
    search_fields = ["reference", "note"]
    inspect_view_enabled = True
    form_fields = []
    object_actions = BANK_LINE_ACTIONS
    # The treasurer's download of the lines (CSV or XLSX), formula cells neutralised.
    list_export = ["date", "amount.amount", "amount.currency", "reference", "source_name", "status", "note"]
    export_headings = {"amount.amount": "Amount", "amount.currency": "Currency"}
    export_filename = "bank-lines"


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
        self.fields["society"].queryset = permissions.societies_where(user, "record_payments")

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
    permission = "record_payments"
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
