"""The daily jobs run without cron: a task runs today's jobs and queues itself for tomorrow, and
each day's jobs run once however many workers (or cron lines) ask, so nobody is reminded twice."""

import datetime
import io
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from investors.daily import run_daily, run_daily_jobs, schedule_daily
from investors.models import Application, DailyRun
from tests.builders import unpaid_application

LONDON = ZoneInfo("Europe/London")


@pytest.fixture
def database_tasks(settings):
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": settings.TASK_QUEUES}
    }


@pytest.fixture
def lapsing(open_offer):
    """One application whose reservation lapses within two days, one already lapsed."""
    soon = unpaid_application(offer=open_offer, shares=100)
    gone = unpaid_application(offer=open_offer, shares=100)
    Application.objects.filter(pk=soon.pk).update(reserved_until=timezone.now() + datetime.timedelta(days=1))
    Application.objects.filter(pk=gone.pk).update(reserved_until=timezone.now() - datetime.timedelta(hours=1))
    mail.outbox.clear()
    return soon, gone


def subjects():
    return sorted(message.subject.split(":")[0] for message in mail.outbox)


def test_a_day_runs_its_jobs_once_however_often_it_is_asked(lapsing, django_capture_on_commit_callbacks):
    soon, gone = lapsing
    with django_capture_on_commit_callbacks(execute=True):
        results = run_daily_jobs()
        again = run_daily_jobs()
        out = io.StringIO()
        call_command("run_daily", stdout=out)
    assert results == {
        "reservations expired": 1,
        "reminders sent": 1,
        "card refunds sent": 0,
        "bank imports restarted": 0,
    }
    assert again is None and "already run" in out.getvalue()
    assert [message.to for message in mail.outbox] == [[gone.holder.email], [soon.holder.email]]
    gone.refresh_from_db()
    assert gone.state == Application.State.EXPIRED
    run = DailyRun.objects.get()
    assert run.finished_at is not None and run.results == results


def test_a_run_that_died_is_taken_over_after_its_lease_and_not_before(lapsing):
    now = timezone.now()
    day = timezone.localdate(now)
    DailyRun.objects.create(day=day, started_at=now - datetime.timedelta(minutes=20))
    assert run_daily_jobs(now=now) is None
    DailyRun.objects.filter(day=day).update(started_at=now - datetime.timedelta(hours=2))
    assert run_daily_jobs(now=now)["reminders sent"] == 1
    assert DailyRun.objects.get().started_at == now


def test_the_task_queues_itself_for_tomorrow_once_per_day(db, database_tasks):
    now = datetime.datetime(2026, 12, 3, 23, 30, tzinfo=LONDON)
    assert run_daily_jobs(now=now, schedule_next=True) is not None
    assert run_daily_jobs(now=now, schedule_next=True) is None, "a second chain stops here"
    [queued] = DBTaskResult.objects.all()
    assert queued.task_path == "investors.daily.run_daily" and queued.status == "READY"
    assert queued.run_after == datetime.datetime(2026, 12, 4, 6, 0, tzinfo=LONDON)


def test_schedule_daily_queues_the_first_run_once(db, database_tasks):
    out = io.StringIO()
    call_command("schedule_daily", stdout=out)
    call_command("schedule_daily", stdout=out)
    assert "are queued" in out.getvalue() and "already queued" in out.getvalue()
    [queued] = DBTaskResult.objects.all()
    assert queued.task_path == run_daily.module_path and queued.run_after.year == 9999
    assert schedule_daily() is False
