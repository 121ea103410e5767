"""Background tasks live beside the work they run; the paths they were queued under before still
find them, so a task stored by an older release is not lost."""

from django.utils.module_loading import import_string
from django_tasks.base import Task

from investors.documents.services import make_documents
from investors.payments.refunds import send_card_refund_task


def test_tasks_queued_under_their_old_paths_still_resolve():
    assert import_string("investors.tasks.make_documents") is make_documents
    assert import_string("investors.tasks.send_card_refund") is send_card_refund_task
    assert isinstance(make_documents, Task) and isinstance(send_card_refund_task, Task)


def test_new_tasks_are_queued_under_the_module_that_runs_them():
    assert make_documents.module_path == "investors.documents.services.make_documents"
    assert send_card_refund_task.module_path == "investors.payments.refunds.send_card_refund_task"
