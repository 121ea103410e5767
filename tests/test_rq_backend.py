"""TASKS_BACKEND=rq runs background work on RQ and Redis (django-tasks-rq) instead of the
database: each task lands in its own queue there and an RQ worker runs it. Tested against the
Redis of `tests.redis_db` (TEST_REDIS_URL's, in a database number of this test process's own),
emptied before and after."""

import os
import subprocess
import sys
from pathlib import Path

import django_rq
import pytest
from django.core import mail
from django_tasks_rq.backend import Job
from rq import SimpleWorker

from investors.documents.services import make_documents
from shares.notify import send_queued_email
from tests.redis_db import REDIS_URL

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def rq_tasks(settings):
    settings.RQ_QUEUES = {queue: {"URL": REDIS_URL, "DEFAULT_TIMEOUT": 60} for queue in settings.TASK_QUEUES}
    settings.TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": settings.TASK_QUEUES}}
    django_rq.get_connection("mail").flushdb()
    yield
    django_rq.get_connection("mail").flushdb()


def test_tasks_go_to_their_own_queue_in_redis_and_an_rq_worker_runs_them(db, rq_tasks):
    make_documents.enqueue(1)
    send_queued_email.enqueue(
        subject="Your share certificate",
        body="Dear Ann,",
        from_email="noreply@example.org",
        to=["ann@example.org"],
        alternatives=[],
    )
    assert (django_rq.get_queue("documents").count, django_rq.get_queue("mail").count) == (1, 1)

    mail_queue = django_rq.get_queue("mail", job_class=Job)  # as `manage.py rqworker mail` serves it
    SimpleWorker([mail_queue], connection=mail_queue.connection, job_class=Job).work(burst=True)
    assert mail_queue.count == 0 and [m.to for m in mail.outbox] == [["ann@example.org"]]
    assert django_rq.get_queue("documents").count == 1, "another queue's work waits for its own worker"


def test_tasks_backend_rq_selects_rq_on_redis_url_and_passes_the_checks():
    code = (
        "import django; django.setup(); from django.conf import settings; "
        "from django.core.management import call_command; "
        "print(settings.TASKS['default']['BACKEND'], settings.RQ_QUEUES['documents']['URL']); "
        "call_command('check')"
    )
    env = {
        **os.environ,
        "TASKS_BACKEND": "rq",
        "REDIS_URL": REDIS_URL,
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[0] == f"django_tasks_rq.RQBackend {REDIS_URL}"
    assert "System check identified no issues" in result.stdout + result.stderr


def test_healthz_reads_each_queues_depth_from_redis(client, db, rq_tasks):
    make_documents.enqueue(1)
    make_documents.enqueue(2)
    queues = client.get("/healthz").json()["queues"]
    assert queues["documents"]["depth"] == 2 and queues["documents"]["status"] == "OK"
    assert 0 <= queues["documents"]["oldest_waiting_seconds"] < 60
    assert queues["mail"] == {"status": "OK", "depth": 0, "oldest_waiting_seconds": None}
