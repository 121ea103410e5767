"""Each kind of background work lands in its own queue, on the database backend `make run` uses,
so one worker per queue can serve it and a certificate never waits behind housekeeping."""

import pytest
from django_tasks_db.models import DBTaskResult

from investors.documents.services import make_documents
from investors.payments.refunds import send_card_refund_task


@pytest.fixture
def database_tasks(settings):
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": settings.TASK_QUEUES}
    }


def queued():
    return {(row.task_path, row.queue_name) for row in DBTaskResult.objects.all()}


def test_documents_and_refunds_each_have_their_queue(db, database_tasks):
    make_documents.enqueue(1)
    send_card_refund_task.enqueue(1)
    assert queued() == {
        ("investors.documents.services.make_documents", "documents"),
        ("investors.payments.refunds.send_card_refund_task", "refunds"),
    }


def test_meeting_notices_and_news_emails_go_to_the_mail_queue(db, database_tasks):
    from cms.news import send_news_task
    from governance.services.meetings import send_notices

    send_notices.enqueue(1)
    send_news_task.enqueue(1)
    assert queued() == {
        ("governance.services.meetings.send_notices", "mail"),
        ("cms.news.send_news_task", "mail"),
    }


def test_wagtails_reference_index_updates_go_to_housekeeping(db, database_tasks):
    from wagtail.models import Page

    root = Page.objects.get(depth=1)
    root.add_child(instance=Page(title="A page", slug="a-page"))
    paths = dict(queued())
    assert paths["wagtail.tasks.update_reference_index_task"] == "housekeeping"
    assert "documents" not in paths.values()


def test_wagtails_file_deletions_go_to_housekeeping():
    import wagtail.documents.signal_handlers
    import wagtail.images.signal_handlers

    assert wagtail.images.signal_handlers.delete_file_from_storage_task.queue_name == "housekeeping"
    assert wagtail.documents.signal_handlers.delete_file_from_storage_task.queue_name == "housekeeping"
