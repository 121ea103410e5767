"""Board pages in the Wagtail admin that are forms rather than model lists: the treasurer's bank
statement upload (the same service as `manage.py import_bank_statement`) and documents made in
bulk, with their progress."""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, JsonResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.views.decorators.http import require_POST
from django.views.generic import FormView

from capital import permissions
from capital.admin_actions import AdminPage
from capital.errors import CapitalError
from capital.models import Offer, Society
from investors.errors import DocumentError, PaymentError
from investors.models import DistributionRun, DocumentJob
from investors.services.bank_import import import_bank_statement
from investors.services.documents import may_resume, request_documents, resume_job

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


class DocumentJobForm(forms.Form):
    """What to make: the society's choices are limited to what the user may see."""

    society = forms.ModelChoiceField(queryset=Society.objects.none())
    kind = forms.ChoiceField(choices=DocumentJob.Kind.choices, label="Documents")
    offer = forms.ModelChoiceField(
        queryset=Offer.objects.none(), required=False, help_text="For an offer's certificates."
    )
    run = forms.ModelChoiceField(
        queryset=DistributionRun.objects.none(), required=False, help_text="For a run's statements."
    )
    tax_year = forms.IntegerField(
        required=False, help_text="For yearly summaries: the year the tax year starts (6 April)."
    )
    regenerate = forms.BooleanField(
        required=False, label="Make them again", help_text="Remake documents that already exist."
    )
    send_emails = forms.BooleanField(
        required=False, label="Email each investor", help_text="Sent once per document."
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        societies = permissions.societies_for(user)
        self.fields["society"].queryset = societies
        self.fields["offer"].queryset = Offer.objects.filter(
            share_class__society__in=societies, state=Offer.State.ALLOCATED
        ).select_related("share_class__society")
        self.fields["run"].queryset = DistributionRun.objects.filter(
            share_class__society__in=societies, state__in=DistributionRun.DECIDED
        ).select_related("share_class")


class DocumentJobsView(AdminPage, FormView):
    """Start a batch of documents and watch every batch's progress; the figures come from the
    database, so a reload (or another board member's browser) shows the same progress."""

    template_name = "investors/admin/document_jobs.html"
    form_class = DocumentJobForm
    page_title = "Documents"
    header_icon = "doc-full"

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user}

    def get_context_data(self, **kwargs):
        jobs = (
            DocumentJob.objects.filter(society__in=permissions.societies_for(self.request.user))
            .select_related("society", "offer", "run__share_class")
            .order_by("-created_at", "-pk")[:50]
        )
        now = timezone.now()
        rows = [{"job": job, "resumable": may_resume(job, now)} for job in jobs]
        return super().get_context_data(rows=rows, **kwargs)

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            job = request_documents(
                society=data["society"],
                kind=data["kind"],
                offer=data["offer"],
                run=data["run"],
                tax_year=data["tax_year"],
                regenerate=data["regenerate"],
                send_emails=data["send_emails"],
                by=self.request.user,
            )
        except (CapitalError, DocumentError) as error:
            form.add_error(None, str(error))
            return self.form_invalid(form)
        messages.success(self.request, f"{job.get_kind_display()}: {job.total} documents queued.")
        return redirect("document_jobs")


def _visible_job(request, pk) -> DocumentJob:
    job = (
        DocumentJob.objects.filter(pk=pk, society__in=permissions.societies_for(request.user))
        .select_related("society")
        .first()
    )
    if job is None:
        raise Http404
    return job


def document_job_progress(request, pk):
    """The figures the progress bar polls for."""
    job = _visible_job(request, pk)
    return JsonResponse(
        {
            "state": job.state,
            "state_label": job.get_state_display(),
            "done": job.done,
            "total": job.total,
            "percent": job.percent,
            "emailed": job.emailed,
            "unsent": job.unsent,
            "error": job.error,
            "resumable": may_resume(job),
        }
    )


@require_POST
def resume_document_job(request, pk):
    job = _visible_job(request, pk)
    try:
        resume_job(job, by=request.user)
    except (CapitalError, DocumentError) as error:
        messages.error(request, str(error))
    else:
        messages.success(request, "The job was queued again; it makes only what is missing.")
    return redirect("document_jobs")
