"""/healthz for a load balancer and an operator: the database, the cache, the storage, and each
task queue's depth and oldest waiting task; 500 only when the site cannot serve."""

import datetime

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from investors.documents.services import make_documents


@pytest.fixture
def database_tasks(settings):
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": settings.TASK_QUEUES}
    }


def test_a_healthy_site_reports_every_check_and_every_queue(client, db, database_tasks, settings):
    response = client.get("/healthz")
    assert response.status_code == 200
    report = response.json()
    assert report["status"] == "ok"
    assert report["checks"] == {"database": "OK", "cache": "OK", "storage": "OK"}
    assert set(report["queues"]) == set(settings.TASK_QUEUES)
    assert report["queues"]["documents"] == {"status": "OK", "depth": 0, "oldest_waiting_seconds": None}


def test_a_queue_falling_behind_is_reported_but_the_site_stays_in_rotation(client, db, database_tasks):
    make_documents.enqueue(1)
    make_documents.enqueue(2)
    twenty_minutes_ago = timezone.now() - datetime.timedelta(minutes=20)
    DBTaskResult.objects.filter(task_path__endswith="make_documents").update(enqueued_at=twenty_minutes_ago)

    response = client.get("/healthz")
    assert response.status_code == 200, "web servers cannot help a queue: workers can"
    documents = response.json()["queues"]["documents"]
    assert documents["depth"] == 2 and 1195 <= documents["oldest_waiting_seconds"] <= 1260
    assert documents["status"].startswith("Warning: the oldest of 2 tasks in 'documents' has waited")
    assert response.json()["queues"]["mail"]["depth"] == 0

    text = client.get("/healthz?format=text").content.decode()
    assert "TaskQueue(queue='documents'): Warning" in text and "(depth 2, oldest waiting" in text


def test_storage_that_cannot_be_written_takes_the_site_out_of_rotation(client, db, settings, tmp_path):
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    settings.MEDIA_ROOT = blocked / "media"
    response = client.get("/healthz")
    assert response.status_code == 500
    assert response.json()["status"] == "failing" and response.json()["checks"]["storage"] != "OK"
    assert response.json()["checks"]["database"] == "OK"
