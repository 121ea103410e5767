"""The treasurer's bank statement upload in the Wagtail admin: a form, then the same service
as `manage.py import_bank_statement`."""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.views.generic import FormView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from capital import permissions
from capital.models import Society
from investors.errors import PaymentError
from investors.services.bank_import import import_bank_statement

MAX_STATEMENT_BYTES = 5 * 1024 * 1024


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


class BankStatementImportView(WagtailAdminTemplateMixin, FormView):
    template_name = "investors/admin/bank_statement_import.html"
    form_class = BankStatementForm
    page_title = "Import a bank statement"
    header_icon = "upload"

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user}

    def form_valid(self, form):
        society = form.cleaned_data["society"]
        if not permissions.may(self.request.user, "record_payments", society):
            raise PermissionDenied
        try:
            result = import_bank_statement(
                society=society,
                text=form.cleaned_data["statement"],
                source_name=self.request.FILES["statement"].name,
                by=self.request.user,
            )
        except PaymentError as error:
            form.add_error("statement", str(error))
            return self.form_invalid(form)
        messages.success(self.request, result.summary())
        return redirect("bankstatementline:index")
