"""A ballot closes at its closing time: sending the notice schedules a task for that time on the
database backend `make run` uses, and the task counts the ballot once, whoever else closed it."""

import datetime

import pytest
from django.utils import timezone
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from governance.models import DecisionEntry, Question
from governance.services.closing import close_at_closing_time, close_question
from governance.services.meetings import add_question, create_meeting, send_notice
from governance.services.voting import vote


@pytest.fixture
def database_tasks(settings):
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": settings.TASK_QUEUES}
    }


@pytest.fixture
def closes_at():
    return timezone.now() + datetime.timedelta(days=18)


@pytest.fixture
def question(society, members, closes_at, django_capture_on_commit_callbacks):
    meeting = create_meeting(
        society=society,
        title="AGM",
        starts_at=timezone.now() + datetime.timedelta(days=20),
        record_date=timezone.localdate(),
        location="The Mill",
    )
    resolution = add_question(
        meeting=meeting,
        kind="ordinary",
        title="Approve the accounts",
        text="That…",
        voting_closes_at=closes_at,
    )
    add_question(meeting=meeting, kind="special", title="Change the rules", text="That…")
    with django_capture_on_commit_callbacks(execute=True):
        send_notice(meeting=meeting)
    for member in members[:4]:
        vote(question=resolution, holder=member, choice="for")
    return resolution


CLOSING = "governance.services.closing.close_at_closing_time"


def closing_tasks():
    return DBTaskResult.objects.filter(task_path=CLOSING)


def run_ready_tasks() -> int:
    """What `manage.py db_worker` does with each task that is due: claim it, run it, keep the result."""
    worker = Worker(
        queue_names=["*"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="test",
        excluded_queue_names=[],
    )
    ready = list(closing_tasks().ready())
    for row in ready:
        row.claim("test")
        worker.run_task(row)
    return len(ready)


def the_clock_passes(question):
    """Move the closing time (and the task's) into the past, as the hours passing would."""
    past = timezone.now() - datetime.timedelta(seconds=1)
    Question.objects.filter(pk=question.pk).update(voting_closes_at=past)
    closing_tasks().update(run_after=past)


def results(question):
    return DecisionEntry.objects.filter(question=question)


def test_the_notice_schedules_the_ballots_closing_at_its_closing_time(database_tasks, question, closes_at):
    (row,) = closing_tasks()
    assert (row.args_kwargs["args"], row.queue_name, row.run_after) == ([question.pk], "default", closes_at)
    assert run_ready_tasks() == 0  # not yet due: the other question closes at the meeting
    assert Question.objects.get(pk=question.pk).state == "open"

    the_clock_passes(question)
    assert run_ready_tasks() == 1
    question.refresh_from_db()
    assert (question.state, question.passed, question.result["for"]) == ("closed", True, 4)
    (entry,) = results(question)
    assert entry.kind == "resolution.passed" and entry.data["result"]["for"] == 4
    assert closing_tasks().get().status == "SUCCESSFUL"
    assert Question.objects.get(number=2, meeting=question.meeting).state == "open"


def test_a_ballot_the_secretary_closed_earlier_is_not_counted_again(database_tasks, question):
    close_question(question=question)
    the_clock_passes(question)
    assert run_ready_tasks() == 1
    assert results(question).count() == 1
    assert closing_tasks().get().return_value is False


def test_a_second_worker_running_the_same_task_counts_nothing_more(database_tasks, question):
    the_clock_passes(question)
    assert close_at_closing_time.call(question.pk) is True
    assert close_at_closing_time.call(question.pk) is False
    assert results(question).count() == 1


def test_a_task_run_before_the_closing_time_leaves_the_ballot_open(database_tasks, question):
    assert close_at_closing_time.call(question.pk) is False
    assert Question.objects.get(pk=question.pk).state == "open" and not results(question).exists()


def test_with_a_backend_that_cannot_wait_nothing_is_scheduled_and_the_ballot_stays_open(caplog, question):
    sent = [r.getMessage() for r in caplog.get_records("setup")]  # the notice went out in the fixture
    assert any("ballots close at the meeting" in message for message in sent), sent
    assert Question.objects.get(pk=question.pk).state == "open" and not results(question).exists()
