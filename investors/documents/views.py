"""Downloading documents: the holder their own, the board any of its society's. Nobody else
learns that a document exists (404), whatever they guess in the address."""

from allauth.mfa.utils import is_mfa_enabled
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.views.decorators.cache import cache_control

from capital import permissions
from investors.documents.services import certificate_document
from investors.models import Document
from shares.models import Certificate


@login_required
@cache_control(private=True, no_store=True)
def download_document(request, pk, filename):
    document = Document.objects.select_related("society", "holder").filter(pk=pk).first()
    if document is None or document.filename != filename or not _may_download(request.user, document):
        raise Http404
    return _pdf_response(document, filename)


@login_required
@cache_control(private=True, no_store=True)
def download_certificate(request, society, number):
    """A certificate by its number; its PDF is made on the first download and kept."""
    certificate = (
        Certificate.objects.select_related("society", "share_class", "holder", "ledger_entry")
        .filter(society__slug=society, number=number)
        .first()
    )
    if certificate is None or not _may_download(request.user, certificate):
        raise Http404
    return _pdf_response(certificate_document(certificate), f"{society}-certificate-{number}.pdf")


def _may_download(user, owned) -> bool:
    """`owned` is anything with a holder and a society: a document or a certificate. The board
    reads other people's only with the two-factor login its admin asks for."""
    if owned.holder.user_id == user.pk:
        return True
    return permissions.may(user, "view_register", owned.society) and is_mfa_enabled(user)


def _pdf_response(document: Document, filename: str) -> HttpResponse:
    with document.file.open("rb") as pdf:
        response = HttpResponse(pdf.read(), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
