"""Documents made in bulk, in the board's admin: start a batch, watch every batch's progress,
resume one that stalled."""

from django import forms
from django.contrib import messages
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils import timezone
from django.views.decorators.http import require_POST
from django.views.generic import FormView, TemplateView

from capital import permissions
from capital.admin_actions import AdminPage
from capital.admin_scoping import RoleMenuItem
from capital.errors import Refusal
from capital.models import Offer, Society
from investors.documents.services import may_resume, request_documents, request_register_pdf, resume_job
from investors.models import DistributionRun, DocumentJob, SurplusRun
from shares.admin_views import register_pdf_maker


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
    surplus_run = forms.ModelChoiceField(
        queryset=SurplusRun.objects.none(), required=False, help_text="For a surplus run's statements."
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
        societies = permissions.societies_where(user, "issue_documents")
        self.fields["society"].queryset = societies
        self.fields["offer"].queryset = Offer.objects.filter(
            share_class__society__in=societies, state=Offer.State.ALLOCATED
        ).select_related("share_class__society")
        self.fields["run"].queryset = DistributionRun.objects.filter(
            share_class__society__in=societies, state__in=DistributionRun.DECIDED
        ).select_related("share_class")
        self.fields["surplus_run"].queryset = SurplusRun.objects.filter(
            society__in=societies, state__in=SurplusRun.DECIDED
        ).select_related("society")


class DocumentJobsView(AdminPage, FormView):
    """Start a batch of documents and watch every batch's progress; the figures come from the
    database, so a reload (or another board member's browser) shows the same progress."""

    template_name = "investors/admin/document_jobs.html"
    form_class = DocumentJobForm
    page_title = "Documents"
    header_icon = "doc-full"
    permission = "issue_documents"

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user}

    def get_context_data(self, **kwargs):
        jobs = (
            DocumentJob.objects.filter(society__in=permissions.societies_for(self.request.user))
            .select_related("society", "offer", "run__share_class", "surplus_run")
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
                surplus_run=data["surplus_run"],
                tax_year=data["tax_year"],
                regenerate=data["regenerate"],
                send_emails=data["send_emails"],
                by=self.request.user,
            )
        except Refusal as error:
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
    except Refusal as error:
        messages.error(request, str(error))
    else:
        messages.success(request, "The job was queued again; it makes only what is missing.")
    return redirect("document_jobs")


def start_register_pdf(request, society):
    """The board's "Register (PDF)": a background job, then its page with the stored file."""
    try:
        job = request_register_pdf(society=society, by=request.user)
    except Refusal as error:
        messages.error(request, str(error))
        return redirect("register")
    return redirect("register_pdf_job", pk=job.pk)


register_pdf_maker(start_register_pdf)


def _register_job(request, pk) -> DocumentJob:
    job = (
        DocumentJob.objects.filter(pk=pk, kind=DocumentJob.Kind.REGISTER_PDF)
        .select_related("society")
        .first()
    )
    if job is None or not permissions.may(request.user, "view_register", job.society):
        raise Http404
    return job


class RegisterPdfJobView(AdminPage, TemplateView):
    """How the register PDF is coming on; once made, the link to it (the page reloads itself)."""

    template_name = "investors/admin/register_pdf_job.html"
    page_title = "Register of members (PDF)"
    header_icon = "list-ol"

    def get_context_data(self, **kwargs):
        job = _register_job(self.request, self.kwargs["pk"])
        return super().get_context_data(job=job, resumable=may_resume(job), **kwargs)


def register_pdf_file(request, pk):
    job = _register_job(request, pk)
    if job.state != DocumentJob.State.FINISHED or not job.file:
        raise Http404
    filename = f"{job.society.slug}-register-{timezone.localtime(job.finished_at):%Y-%m-%d}.pdf"
    return FileResponse(
        job.file.open("rb"), as_attachment=True, filename=filename, content_type="application/pdf"
    )


def admin_urls():
    return [
        path("documents/register/<int:pk>/", RegisterPdfJobView.as_view(), name="register_pdf_job"),
        path("documents/register/<int:pk>/register.pdf", register_pdf_file, name="register_pdf_file"),
        path("documents/bulk/", DocumentJobsView.as_view(), name="document_jobs"),
        path("documents/bulk/<int:pk>/progress/", document_job_progress, name="document_job_progress"),
        path("documents/bulk/<int:pk>/resume/", resume_document_job, name="document_job_resume"),
    ]


def menu_item():
    return RoleMenuItem(
        "Documents", reverse("document_jobs"), icon_name="doc-full", order=240, action="issue_documents"
    )
