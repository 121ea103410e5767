"""PDF documents from Django templates: template → HTML → WeasyPrint → bytes.

One FontConfiguration serves every render (a new one per document makes memory grow), and
the URL fetcher serves only data: URIs and our own static files, so a template can never
make the server fetch something from the network or read an arbitrary file. The society's
logo is read through its image's storage and embedded as a data: URI for the same reason.
"""

import base64
import datetime
import io
import logging
from pathlib import Path
from urllib.parse import unquote, urlsplit

import segno
from django.conf import settings
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from django.utils import timezone
from djmoney.money import Money
from PIL import Image as PillowImage
from weasyprint import HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher

from capital.models import Society
from capital.money import format_money
from shares.errors import RegisterError
from shares.services.register_reads import register_rows, register_totals
from shares.services.verification import verify_register

logger = logging.getLogger(__name__)

FONT_CONFIG = FontConfiguration()


class StaticOnlyFetcher(URLFetcher):
    """data: URIs, and files found by Django's static-file finders; nothing else, and a
    resource that cannot be fetched stops the render instead of leaving a gap."""

    def __init__(self):
        super().__init__(allowed_protocols={"data", "file"}, fail_on_errors=True)

    def fetch(self, url, headers=None):
        if url.startswith("file:"):
            # Decode first (`%2e%2e` is `..`) and read the very file that was checked.
            parts = urlsplit(url)
            path = Path(unquote(parts.path)).resolve()
            if parts.netloc not in ("", "localhost") or not any(
                path.is_relative_to(root) for root in _static_roots()
            ):
                raise ValueError(f"Documents may only use our static files, not {url!r}.")
            url = path.as_uri()
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
            "logo": society_logo_uri(certificate.society),
            "share_class": share_class,
            "holder": certificate.holder,
            "nominal": share_class.nominal_value,
            "verify_url": url,
            "qr": qr_data_uri(url),
        },
    )


# --- The society's logo ---------------------------------------------------------------------------

LOGO_TYPES = {"PNG": "image/png", "JPEG": "image/jpeg"}
# Printed at most about 60 × 20 mm: this is 500 dpi, enough for print, and keeps a large
# upload from being copied into every statement of a run.
LOGO_MAX_PIXELS = (1200, 400)


def society_logo_uri(society: Society) -> str | None:
    """The society's logo as a data: URI, or None when it has none or it cannot be used.

    Read through the image's own storage (local files, S3, ...), so documents never fetch a
    URL. Only PNG and JPEG are embedded; a file that is missing, unreadable or not a whole
    image of those kinds is left out (and logged) rather than stopping the document.
    """
    if society.logo_id is None:
        return None
    image = society.logo
    try:
        with image.file.open("rb") as stored:
            data = stored.read()
    except (OSError, ValueError) as error:
        logger.warning("The logo %r of image %s cannot be read: %s", image.file.name, image.pk, error)
        return None
    return image_data_uri(data)


def image_data_uri(data: bytes) -> str | None:
    """A whole PNG or JPEG as a data: URI (made smaller if it is very large); None for anything else."""
    try:
        kind = _whole_image_kind(data)
        if kind is None:
            return None
        with PillowImage.open(io.BytesIO(data)) as picture:
            picture.load()
            if picture.width > LOGO_MAX_PIXELS[0] or picture.height > LOGO_MAX_PIXELS[1]:
                picture.thumbnail(LOGO_MAX_PIXELS)
                smaller = io.BytesIO()
                picture.save(smaller, format=kind)
                data = smaller.getvalue()
    except (OSError, SyntaxError, ValueError, PillowImage.DecompressionBombError) as error:
        logger.warning("A logo could not be used: %s", error)
        return None
    return f"data:{LOGO_TYPES[kind]};base64,{base64.b64encode(data).decode('ascii')}"


def _whole_image_kind(data: bytes) -> str | None:
    """PNG or JPEG if `data` is a whole image of that kind. WeasyPrint tells Pillow to accept
    truncated images (for the whole process), so a file cut short would print half grey:
    a PNG's chunks and checksums are checked, and a JPEG must end with its end marker."""
    with PillowImage.open(io.BytesIO(data)) as picture:
        kind = picture.format
        if kind not in LOGO_TYPES:
            return None
        picture.verify()
    if kind == "JPEG" and not data.rstrip(b"\x00").endswith(b"\xff\xd9"):
        raise ValueError("the JPEG file is cut short")
    return kind


# --- The register of members as a PDF -------------------------------------------------------------


def register_pdf(society: Society, as_of: datetime.date | None = None) -> bytes:
    """The register of members (2014 Act, s.30) as an A4 landscape PDF: the rows of
    `export_register`, per-class totals and the register's head (`sequence:hash`), so that
    the printed copy can be checked against the ledger later with `verify_register
    --expect-head`. Refused while the register does not verify."""
    check = verify_register(society)
    if not check.ok:
        raise RegisterError(
            f"The register of {society.name} does not verify ({check.problems[0]}); run "
            "verify_register and put it right before printing it."
        )
    rows = register_rows(society, as_of)
    return render_pdf(
        "pdf/register.html",
        {
            "society": society,
            "logo": society_logo_uri(society),
            "as_of": as_of or timezone.localdate(),
            "printed_on": timezone.localdate(),
            "head": check.head,
            "head_sequence": check.head_sequence,
            "rows": [_register_display(row) for row in rows],
            "totals": [
                {**vars(total), "amount_paid": format_money(Money(total.amount_paid, society.currency))}
                for total in register_totals(rows)
            ],
        },
    )


def _register_display(row: dict[str, str]) -> dict:
    """One register row as printed: money with its symbol, dates as dates."""
    return {
        **row,
        "amount_paid": format_money(Money(row["amount_paid"], row["currency"])),
        "date_admitted": datetime.date.fromisoformat(row["date_admitted"]),
        "date_ceased": datetime.date.fromisoformat(row["date_ceased"]) if row["date_ceased"] else None,
    }
