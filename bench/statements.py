"""How long statements and the register take to make, through the same path the board uses.

Seeds one profit-share class with HOLDERS holdings and approves year 1, then prints:
- one statement rendered (median of 15),
- the whole run's statements made and stored by a document job (`run_job`, the background
  task's body) with the emails it sends, per statement and in all, and running that job again
  (everything already made: what a resume after a crash costs),
- the register of members as a PDF.
Runs on an in-memory SQLite database and a temporary media folder of its own.

Usage: python bench/statements.py [HOLDERS]   (default 300; about a minute and a half on 2 cores)
"""

import datetime
import os
import statistics
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ["DATABASE_URL"] = "sqlite://:memory:"
os.environ["MEDIA_ROOT"] = tempfile.mkdtemp(prefix="statements-bench-")
os.environ["EMAIL_BACKEND"] = "django.core.mail.backends.locmem.EmailBackend"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.core import mail  # noqa: E402
from django.core.management import call_command  # noqa: E402

from capital.models import ReturnSchedule  # noqa: E402
from investors.documents.pdfs import statement_pdf  # noqa: E402
from investors.documents.services import request_documents, run_job  # noqa: E402
from investors.models import DocumentJob  # noqa: E402
from investors.runs.services import approve_run, start_run  # noqa: E402
from shares.documents import register_pdf  # noqa: E402
from shares.services.register import issue_shares  # noqa: E402
from tests import factories  # noqa: E402
from tests.factories import gbp  # noqa: E402


def seed(count: int):
    share_class = factories.InvestorClassFactory()
    ReturnSchedule.objects.create(
        share_class=share_class,
        first_year_end=datetime.date(2020, 3, 31),
        pool_percent=Decimal("25"),
        cap_multiple=Decimal("1.5"),
    )
    holders = factories.HolderFactory.create_batch(count)
    for number, holder in enumerate(holders, start=1):
        shares = 100 + number % 900
        issue_shares(
            society=share_class.society,
            holder=holder,
            share_class=share_class,
            shares=shares,
            amount=gbp(shares),
            effective_date=datetime.date(2019, 4, 1),
        )
    run = start_run(share_class=share_class, year=1, surplus=Decimal("80000"))
    return approve_run(run=run, by=None, on_date=datetime.date(2020, 6, 1)), holders


def seconds(work) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


def main():
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    call_command("migrate", verbosity=0)
    run, holders = seed(count)
    statement_pdf(run, holders[0])  # warm up fonts and templates once
    one = statistics.median(seconds(lambda: statement_pdf(run, holders[0])) for _ in range(15))

    job = request_documents(
        society=run.society, kind=DocumentJob.Kind.RUN_STATEMENTS, run=run, send_emails=True
    )
    made = seconds(lambda: run_job(job.pk))
    job.refresh_from_db()
    DocumentJob.objects.filter(pk=job.pk).update(state=DocumentJob.State.QUEUED)
    again = seconds(lambda: run_job(job.pk))
    register = seconds(lambda: register_pdf(run.society))

    print(f"documents: statements and the register, {count:,} holders, {os.cpu_count()} cores")
    print(f"{'what':<46} {'ms each':>9} {'seconds':>9}")
    print(f"{'one statement rendered (median of 15)':<46} {one * 1000:>9.0f}")
    made_label = f"{job.done:,} statements made, stored and emailed"
    print(f"{made_label:<46} {made * 1000 / job.done:>9.0f} {made:>9.1f}")
    print(f"{'the same job run again (all made already)':<46} {again * 1000 / job.done:>9.1f} {again:>9.1f}")
    print(f"{f'register of members PDF, {count:,} holders':<46} {'':>9} {register:>9.1f}")
    print(f"emails sent: {len(mail.outbox):,} (once each, the second pass sends none)")


if __name__ == "__main__":
    main()
