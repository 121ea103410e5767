"""Real threads against real PostgreSQL: four workers run the day's jobs at once; one runs them,
so each investor is reminded once and tomorrow is queued once."""

import datetime

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from investors.daily import run_daily_jobs
from investors.models import Application, DailyRun
from tests.builders import unpaid_application
from tests.pg.conftest import run_concurrently

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_four_workers_at_once_send_one_reminder_and_queue_tomorrow_once(open_offer, settings):
    application = unpaid_application(offer=open_offer, shares=100)  # its email sent before the race
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": settings.TASK_QUEUES}
    }
    Application.objects.filter(pk=application.pk).update(
        reserved_until=timezone.now() + datetime.timedelta(days=1)
    )

    outcomes = run_concurrently(lambda _: run_daily_jobs(schedule_next=True), range(4))

    ran = [outcome for outcome in outcomes if isinstance(outcome, dict)]
    assert len(ran) == 1 and outcomes.count(None) == 3, outcomes
    assert ran[0]["reminders sent"] == 1
    reminders = DBTaskResult.objects.filter(task_path="shares.notify.send_queued_email")
    assert [task.args_kwargs["kwargs"]["to"] for task in reminders] == [[application.holder.email]]
    assert DailyRun.objects.get().finished_at is not None
    assert DBTaskResult.objects.filter(task_path="investors.daily.run_daily").count() == 1
