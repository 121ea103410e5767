"""The public certificate check: anyone holding a certificate can see whether it is genuine."""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.cache import cache_control

from capital import permissions
from shares.documents import certificate_pdf
from shares.models import Certificate


def initials(name: str) -> str:
    """The holder shown only as initials: enough to match a certificate, not to identify."""
    return "".join(f"{part[0].upper()}." for part in name.replace("-", " ").split() if part[0].isalpha())


@cache_control(private=True, max_age=0)
def verify_certificate(request, token):
    certificate = get_object_or_404(
        Certificate.objects.select_related("society", "share_class", "holder", "ledger_entry"),
        verification_token=token,
    )
    return render(
        request,
        "shares/verify.html",
        {"certificate": certificate, "holder_initials": initials(certificate.holder.name)},
        status=200,
    )


@login_required
@cache_control(private=True, no_store=True)
def download_certificate(request, society, number):
    """The holder downloads their own certificates; the board any of its society's; nobody
    else learns that the certificate exists (404)."""
    certificate = (
        Certificate.objects.select_related("society", "share_class", "holder", "ledger_entry")
        .filter(society__slug=society, number=number)
        .first()
    )
    if certificate is None or not _may_download(request.user, certificate):
        raise Http404
    response = HttpResponse(certificate_pdf(certificate), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{society}-certificate-{number}.pdf"'
    return response


def _may_download(user, certificate) -> bool:
    return certificate.holder.user_id == user.pk or permissions.may(
        user, "view_register", certificate.society
    )
