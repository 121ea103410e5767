"""How long a share certificate takes to render, alone and in a batch, and the memory it takes.

Prints milliseconds per certificate for a single render, for a batch rendered one document per
certificate, and for the same batch as one combined PDF, with the peak memory (tracemalloc) of
each. Runs on an in-memory SQLite database of its own; the database is not what is measured.

Usage: python bench/documents.py [BATCH]   (default 1,000 certificates; about 25 minutes on 2
cores, since each measurement is repeated under tracemalloc)
"""

import os
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ["DATABASE_URL"] = "sqlite://:memory:"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.template.loader import render_to_string  # noqa: E402
from weasyprint import HTML  # noqa: E402

from shares.documents import FONT_CONFIG, StaticOnlyFetcher, certificate_pdf, qr_data_uri, verify_url  # noqa: E402
from shares.models import Certificate  # noqa: E402
from shares.services.register import issue_shares  # noqa: E402
from tests import factories  # noqa: E402
from tests.factories import gbp  # noqa: E402


def seed(count: int) -> list[Certificate]:
    share_class = factories.InvestorClassFactory()
    for holder in factories.HolderFactory.create_batch(count):
        issue_shares(
            society=share_class.society, holder=holder, share_class=share_class, shares=100, amount=gbp(100)
        )
    return list(Certificate.objects.select_related("society", "share_class", "holder", "ledger_entry"))


def measure(work):
    """Seconds without tracing (tracemalloc slows rendering several times), then the peak
    memory of a second, traced run."""
    started = time.perf_counter()
    result = work()
    seconds = time.perf_counter() - started
    tracemalloc.start()
    work()
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return result, seconds, peak


def combined_pdf(certificates) -> bytes:
    """All the certificates as one PDF: each page rendered, then the pages joined."""
    documents = []
    for certificate in certificates:
        html = render_to_string(
            "pdf/certificate.html",
            {
                "certificate": certificate,
                "society": certificate.society,
                "share_class": certificate.share_class,
                "holder": certificate.holder,
                "nominal": certificate.share_class.nominal_value,
                "verify_url": verify_url(certificate),
                "qr": qr_data_uri(verify_url(certificate)),
            },
        )
        documents.append(HTML(string=html, url_fetcher=StaticOnlyFetcher()).render(font_config=FONT_CONFIG))
    pages = [page for document in documents for page in document.pages]
    return documents[0].copy(pages).write_pdf()


def main():
    batch = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    call_command("migrate", verbosity=0)
    certificates = seed(batch)
    certificate_pdf(certificates[0])  # warm up fonts and templates once
    _, single, single_peak = measure(lambda: certificate_pdf(certificates[0]))
    _, each, each_peak = measure(lambda: [certificate_pdf(c) for c in certificates])
    combined, together, together_peak = measure(lambda: combined_pdf(certificates))
    print(f"documents: certificate PDFs, {os.cpu_count()} cores")
    print(f"{'what':<34} {'ms per certificate':>19} {'peak MiB':>9}")
    print(f"{'one certificate':<34} {single * 1000:>19.0f} {single_peak:>9.1f}")
    print(f"{f'{batch:,} certificates, one PDF each':<34} {each * 1000 / batch:>19.0f} {each_peak:>9.1f}")
    print(
        f"{f'{batch:,} certificates, one combined PDF':<34} {together * 1000 / batch:>19.0f} "
        f"{together_peak:>9.1f}  ({len(combined) / 2**20:.1f} MiB file)"
    )


if __name__ == "__main__":
    main()
