"""PDF documents from Django templates: template → HTML → WeasyPrint → bytes.

One FontConfiguration serves every render (a new one per document makes memory grow), and
the URL fetcher serves only data: URIs and our own static files, so a template can never
make the server fetch something from the network or read an arbitrary file.
"""

from pathlib import Path

import segno
from django.conf import settings
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from weasyprint import HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher

FONT_CONFIG = FontConfiguration()


class StaticOnlyFetcher(URLFetcher):
    """data: URIs, and files found by Django's static-file finders; nothing else, and a
    resource that cannot be fetched stops the render instead of leaving a gap."""

    def __init__(self):
        super().__init__(allowed_protocols={"data", "file"}, fail_on_errors=True)

    def fetch(self, url, headers=None):
        if url.startswith("file:"):
            path = Path(url.removeprefix("file://")).resolve()
            if not any(path.is_relative_to(root) for root in _static_roots()):
                raise ValueError(f"Documents may only use our static files, not {url!r}.")
        elif not url.startswith("data:"):
            raise ValueError(f"Documents may only use our static files, not {url!r}.")
        return super().fetch(url, headers)


def _static_roots() -> list[Path]:
    roots = [Path(settings.STATIC_ROOT)]
    for finder in finders.get_finders():
        for _path, storage in finder.list([]):
            roots.append(Path(storage.location).resolve())
            break
    return roots


def static_file_uri(name: str) -> str:
    """A `file:` URI for one of our static files, for use in a document template."""
    found = finders.find(name)
    if not found:
        raise FileNotFoundError(name)
    return Path(found).resolve().as_uri()


def render_pdf(template_name: str, context: dict) -> bytes:
    html = render_to_string(template_name, context)
    return HTML(string=html, url_fetcher=StaticOnlyFetcher()).write_pdf(font_config=FONT_CONFIG)


def qr_data_uri(url: str) -> str:
    return segno.make(url, error="m").svg_data_uri(scale=4, border=0, dark="#1d2a1f")


def verify_url(certificate) -> str:
    return f"{settings.WAGTAILADMIN_BASE_URL.rstrip('/')}/verify/{certificate.verification_token}/"


def certificate_pdf(certificate) -> bytes:
    """The certificate as an A4 PDF, with the rights its class carries and a QR code to check it."""
    share_class = certificate.share_class
    url = verify_url(certificate)
    return render_pdf(
        "pdf/certificate.html",
        {
            "certificate": certificate,
            "society": certificate.society,
            "share_class": share_class,
            "holder": certificate.holder,
            "nominal": share_class.nominal_value,
            "verify_url": url,
            "qr": qr_data_uri(url),
        },
    )
