"""The public certificate check: anyone holding a certificate can see whether it is genuine."""

from django.shortcuts import get_object_or_404, render
from django.views.decorators.cache import cache_control

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
