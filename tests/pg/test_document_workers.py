"""One document job shared by three real `db_worker` processes, one of them killed (SIGKILL)
half-way through a chunk: after the board resumes the stalled job, every certificate has one
document and every investor one email, none missing.

The workers run against this test's database and write their mail to one folder (Django's
file-based email backend), as separate machines would share a mail server.
"""

import datetime
import email
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import psycopg
import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from investors.documents.services import may_resume, request_documents, resume_job
from investors.models import Document, DocumentJob, DocumentJobChunk
from shares.models import Certificate
from tests import factories
from tests.builders import board_seat, seed_register

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
HOLDERS = 12
CHUNK = 2


def _database_url(application_name: str) -> str:
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    return (
        f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
        f"?application_name={application_name}"
    )


def _psycopg_dsn() -> str:
    return _database_url("commonshare-test-lock").replace("postgres://", "postgresql://", 1)


def _worker(name: str, media: Path, mail: Path, log: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(name),
        "MEDIA_ROOT": str(media),
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(mail),
        "DOCUMENT_CHUNK_SIZE": str(CHUNK),
        "TASKS_BACKEND": "django_tasks_db.DatabaseBackend",
    }
    command = [sys.executable, "manage.py", "db_worker", "--queue-name", "documents"]
    command += ["--no-reload", "--no-startup-delay", "--interval", "0.2", "--verbosity", "1"]
    with log.open("wb") as out:
        return subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)


def _wait(condition, what: str, timeout: float = 120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def _sent_mail(folder: Path) -> Counter:
    """How many messages each address was sent, read from every file the workers wrote."""
    sent = Counter()
    for path in folder.glob("*.log"):
        for raw in path.read_text().split("-" * 79 + "\n"):
            if raw.strip():
                sent[email.message_from_string(raw)["To"]] += 1
    return sent


def test_three_workers_one_killed_mid_chunk_make_and_email_each_document_once(settings, tmp_path):
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": django_settings.TASK_QUEUES}
    }
    settings.DOCUMENT_CHUNK_SIZE = CHUNK
    mail_folder = tmp_path / "mail"
    mail_folder.mkdir()
    share_class = factories.InvestorClassFactory()
    seed_register(share_class=share_class, holdings=[(f"Investor {n}", 10 + n) for n in range(HOLDERS)])
    director = board_seat(society=share_class.society, role="director")
    logs = [tmp_path / f"worker-{n}.log" for n in range(3)]
    workers = [_worker(f"worker-{n}", settings.MEDIA_ROOT, mail_folder, logs[n]) for n in range(3)]
    try:
        job = request_documents(
            society=share_class.society,
            kind=DocumentJob.Kind.SOCIETY_CERTIFICATES,
            send_emails=True,
            by=director,
        )
        assert job.total == HOLDERS
        _wait(
            lambda: DocumentJob.objects.get(pk=job.pk).state == DocumentJob.State.RUNNING, "the job to start"
        )

        # Hold the job's row: each worker stops at its next count of progress, half-way through
        # its chunk, with the document it just made already emailed and recorded.
        # (Activity is read from a connection of its own: a transaction sees one snapshot of it.)
        with (
            psycopg.connect(_psycopg_dsn()) as holding,
            psycopg.connect(_psycopg_dsn(), autocommit=True) as watching,
        ):
            holding.execute("SELECT 1 FROM investors_documentjob WHERE id = %s FOR UPDATE", [job.pk])

            def waiting_on_progress():
                rows = watching.execute(
                    "SELECT application_name FROM pg_stat_activity WHERE datname = current_database() AND "
                    "wait_event_type = 'Lock' AND "
                    "application_name LIKE 'worker-%%' AND query LIKE 'UPDATE \"investors_documentjob\"%%'"
                ).fetchall()
                return [name for (name,) in rows]

            blocked = _wait(waiting_on_progress, "a worker to be half-way through a chunk", timeout=90)
            victim = workers[int(blocked[0].removeprefix("worker-"))]
            victim.send_signal(signal.SIGKILL)
            victim.wait(timeout=10)
            holding.rollback()

        # The two others finish every other chunk; the victim's stays claimed and the job runs on.
        def only_the_victims_chunk_is_left():
            left = DocumentJobChunk.objects.filter(job=job).exclude(state=DocumentJobChunk.State.DONE)
            return left.count() == 1 and not _task_waiting()

        _wait(only_the_victims_chunk_is_left, "the other chunks to be finished")
        job.refresh_from_db()
        assert job.state == DocumentJob.State.RUNNING and job.done < HOLDERS

        # Five minutes without a sign of life make the job stalled; the board resumes it.
        six_minutes_ago = timezone.now() - datetime.timedelta(minutes=6)
        DocumentJob.objects.filter(pk=job.pk).update(heartbeat_at=six_minutes_ago)
        job.refresh_from_db()
        assert may_resume(job)
        resume_job(job, by=director)
        _wait(
            lambda: DocumentJob.objects.get(pk=job.pk).state == DocumentJob.State.FINISHED,
            "the job to finish",
        )
    except AssertionError:
        print(*(log.read_text() for log in logs), sep="\n----\n")
        print(
            list(DocumentJobChunk.objects.values_list("position", "state", "attempt", "done", "claimed_at"))
        )
        print(list(DBTaskResult.objects.values_list("task_path", "queue_name", "status")))
        print(DocumentJob.objects.values("state", "done", "total", "emailed", "error").get())
        raise
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.terminate()
        for worker in workers:
            try:
                worker.wait(timeout=20)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait()

    job.refresh_from_db()
    assert (job.done, job.total, job.emailed, job.unsent) == (HOLDERS, HOLDERS, HOLDERS, 0)
    certificates = set(Certificate.objects.values_list("pk", flat=True))
    documents = list(Document.objects.values_list("certificate", flat=True))
    assert sorted(documents) == sorted(certificates), "one document per certificate"
    assert not Document.objects.filter(emailed_at__isnull=True).exists(), "every document was emailed"
    sent = _sent_mail(mail_folder)
    holders = Counter(Certificate.objects.values_list("holder__email", flat=True))
    assert sent == holders, "each investor is emailed their certificate exactly once"


def _task_waiting() -> bool:
    return DBTaskResult.objects.filter(status="READY", queue_name="documents").exists()
