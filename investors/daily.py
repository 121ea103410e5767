"""The platform's daily jobs, without cron: lapse unpaid reservations, remind investors two days
before theirs lapses, send card refunds still due, and start again any bank statement import
whose worker stopped.

`run_daily` is a background task that runs today's jobs and queues itself again for tomorrow
(`DAILY_AT`, local time), so the task worker `make run` starts keeps them going once
`manage.py schedule_daily` has queued the first. Where a scheduler is preferred,
`manage.py run_daily` from cron does the same once. Either way each day's jobs run once: the
day's `DailyRun` row is the claim, so two workers (or a worker and cron) never send two
reminders, and only the worker that claimed a day queues the next, so a second chain of tasks
dies out the next day. Each job is also safe to run again on its own.
"""

import datetime
from collections.abc import Callable

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django_tasks import task
from django_tasks_db.models import DBTaskResult

from investors.applications.services import expire_reservations, remind_lapsing_reservations
from investors.models import DailyRun
from investors.payments.bank_import import resume_stalled_imports
from investors.payments.refunds import send_due_card_refunds

LEASE = datetime.timedelta(hours=1)  # a day's run unfinished this long is taken over


def _sent_card_refunds() -> int:
    return len(send_due_card_refunds())


JOBS: dict[str, Callable[[], int]] = {
    "reservations expired": expire_reservations,
    "reminders sent": remind_lapsing_reservations,
    "card refunds sent": _sent_card_refunds,
    "bank imports restarted": resume_stalled_imports,
}


def run_daily_jobs(*, now: datetime.datetime | None = None, schedule_next: bool = False) -> dict | None:
    """Run today's jobs if no one has (or a run that died is past its lease); None when another
    run has today. With `schedule_next`, the claiming run first queues tomorrow's task."""
    now = now or timezone.now()
    day = timezone.localdate(now)
    run = _claim(day, now)
    if run is None:
        return None
    if schedule_next:
        run_daily.using(run_after=next_run_after(now)).enqueue()
    results = {name: job() for name, job in JOBS.items()}
    run.finished_at, run.results = max(timezone.now(), run.started_at), results
    run.save(update_fields=["finished_at", "results"])
    return results


def _claim(day: datetime.date, now: datetime.datetime) -> DailyRun | None:
    try:
        with transaction.atomic():
            return DailyRun.objects.create(day=day, started_at=now)
    except IntegrityError:
        taken_over = DailyRun.objects.filter(
            day=day, finished_at__isnull=True, started_at__lt=now - LEASE
        ).update(started_at=now)
        return DailyRun.objects.get(day=day) if taken_over else None


def next_run_after(now: datetime.datetime) -> datetime.datetime:
    """Tomorrow at `DAILY_AT` (local time)."""
    hour, minute = (int(part) for part in settings.DAILY_AT.split(":"))
    tomorrow = timezone.localdate(now) + datetime.timedelta(days=1)
    return timezone.make_aware(datetime.datetime.combine(tomorrow, datetime.time(hour, minute)))


@task()
def run_daily() -> dict | None:
    """Today's jobs, once; then tomorrow's task is waiting."""
    return run_daily_jobs(schedule_next=True)


def schedule_daily() -> bool:
    """Queue the first `run_daily` now unless one is already waiting (on the database backend).
    False when one was waiting."""
    if DBTaskResult.objects.filter(task_path=run_daily.module_path, status="READY").exists():
        return False
    run_daily.enqueue()
    return True
