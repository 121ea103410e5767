"""How long a share certificate takes to render, alone and in a batch, and the memory it takes.

Prints milliseconds per certificate for a single render, for a batch rendered one document per
certificate, and for the same batch as one combined PDF, with the peak memory (tracemalloc) of
each. Runs on an in-memory SQLite database of its own; the database is not what is measured.

Usage: python bench/documents.py [BATCH]   (default 1,000 certificates; about 25 minutes on 2
cores, since each measurement is repeated under tracemalloc)

`python bench/documents.py workers [COUNT]` (on PostgreSQL, DATABASE_URL) measures one document
job shared by `manage.py db_worker` processes instead: the certificates of COUNT holders
(default 60) made by 1 worker, then made again by 2, with documents per second and the speed-up.
It creates and drops its own throwaway database (<name>_bench).
"""

import os
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
WORKERS_MODE = len(sys.argv) > 1 and sys.argv[1] == "workers"
if WORKERS_MODE:
    os.environ["MEDIA_ROOT"] = tempfile.mkdtemp(prefix="bench-documents-")
else:
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


CHUNK = 5


def _worker(database: dict) -> subprocess.Popen:
    password = f":{database['PASSWORD']}" if database["PASSWORD"] else ""
    host = f"{database['HOST'] or '127.0.0.1'}:{database['PORT'] or 5432}"
    url = f"postgres://{database['USER']}{password}@{host}"
    env = {
        **os.environ,
        "DATABASE_URL": f"{url}/{database['NAME']}",
        "DOCUMENT_CHUNK_SIZE": str(CHUNK),
        "TASKS_BACKEND": "django_tasks_db.DatabaseBackend",
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
    }
    command = [sys.executable, "manage.py", "db_worker", "--queue-name", "documents", "--no-reload"]
    command += ["--no-startup-delay", "--interval", "0.1", "--verbosity", "0"]
    return subprocess.Popen(command, cwd=ROOT, env=env)


def one_job(society, director, workers: int, *, again: bool) -> tuple[int, float]:
    """Seconds for `workers` processes to make every certificate of the society, as one job."""
    from django.db import connection

    from investors.documents.services import request_documents
    from investors.models import DocumentJob

    processes = [_worker(connection.settings_dict) for _ in range(workers)]
    try:
        time.sleep(10)  # the workers start (Django and WeasyPrint load) before the clock does
        started = time.perf_counter()
        job = request_documents(
            society=society, kind=DocumentJob.Kind.SOCIETY_CERTIFICATES, regenerate=again, by=director
        )
        while DocumentJob.objects.filter(pk=job.pk, state__in=DocumentJob.UNFINISHED).exists():
            time.sleep(0.05)
        seconds = time.perf_counter() - started
        job.refresh_from_db()
        assert job.state == DocumentJob.State.FINISHED and job.done == job.total, job
        return job.total, seconds
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=30)


def workers_main():
    from bench.throwaway_db import throwaway_postgres
    from tests.builders import board_seat

    count = int(sys.argv[2]) if len(sys.argv) > 2 else 60
    with throwaway_postgres("documents"):
        certificates = seed(count)
        society = certificates[0].society
        director = board_seat(society=society, role="director")
        made, one = one_job(society, director, 1, again=False)
        _, two = one_job(society, director, 2, again=True)
    print(f"documents: one job of {made} certificates in chunks of {CHUNK}, {os.cpu_count()} cores")
    print(f"{'workers':>7} {'seconds':>8} {'documents/s':>12}")
    print(f"{1:>7} {one:>8.1f} {made / one:>12.1f}")
    print(f"{2:>7} {two:>8.1f} {made / two:>12.1f}")
    print(f"speed-up with 2 workers: {one / two:.2f}x")


def main():
    if WORKERS_MODE:
        return workers_main()
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
