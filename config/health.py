"""`/healthz`, for a load balancer and an operator (django-health-check): the database, the
cache, the media storage, and each task queue's depth and oldest waiting task.

A load balancer reads the status: 200 while the site can serve, 500 when the database, the
cache or the storage fails. A queue that is falling behind is reported (depth, and how long its
oldest task has waited: a warning past `HEALTH_QUEUE_WAIT_WARNING` seconds) but never takes a
web server out of rotation, since web servers cannot help it; workers can. JSON by default
for tools (`?format=json`), or `?format=text`.
"""

import dataclasses
import datetime

from asgiref.sync import sync_to_async
from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.utils import timezone
from health_check.base import HealthCheck
from health_check.exceptions import ServiceUnavailable, ServiceWarning
from health_check.views import HealthCheckView


@dataclasses.dataclass
class TaskQueue(HealthCheck):
    """How many tasks wait in one queue, and since when the oldest has waited."""

    queue: str = "default"

    depth: int | None = dataclasses.field(default=None, init=False, repr=False)
    oldest_waiting_seconds: int | None = dataclasses.field(default=None, init=False, repr=False)

    async def run(self):
        # In the request's own thread: a test's (or a request's) database connection is the one read.
        self.depth, oldest = await sync_to_async(self._waiting)()
        self.oldest_waiting_seconds = (
            None if oldest is None else int((timezone.now() - oldest).total_seconds())
        )
        limit = getattr(settings, "HEALTH_QUEUE_WAIT_WARNING", 600)
        if self.oldest_waiting_seconds is not None and self.oldest_waiting_seconds > limit:
            raise ServiceWarning(
                f"the oldest of {self.depth} tasks in {self.queue!r} has waited "
                f"{self.oldest_waiting_seconds} s: start (or add) a worker for this queue"
            )

    def _waiting(self) -> tuple[int, datetime.datetime | None]:
        backend = settings.TASKS["default"]["BACKEND"]
        if backend == "django_tasks_db.DatabaseBackend":
            from django_tasks_db.models import DBTaskResult

            ready = DBTaskResult.objects.filter(status="READY", queue_name=self.queue)
            oldest = ready.order_by("enqueued_at").values_list("enqueued_at", flat=True).first()
            return ready.count(), oldest
        if backend == "django_tasks_rq.RQBackend":
            import django_rq

            try:
                queue = django_rq.get_queue(self.queue)
                job_ids = queue.get_job_ids(0, 1)  # the oldest waiting job, at the queue's head
                first = queue.fetch_job(job_ids[0]) if job_ids else None
                return queue.count, first.enqueued_at if first else None
            except Exception as error:  # Redis down: the queue cannot be read
                raise ServiceUnavailable(f"the {self.queue!r} queue cannot be read") from error
        return 0, None  # a backend that keeps no queue (immediate, in tests)


class HealthView(HealthCheckView):
    checks = (
        "health_check.checks.Database",
        "health_check.checks.Cache",
        "health_check.checks.Storage",
        *((TaskQueue, {"queue": queue}) for queue in settings.TASK_QUEUES),
    )

    async def get(self, request, *args, **kwargs):
        if request.GET.get("format") not in ("json", "text"):
            request.GET = request.GET.copy()
            request.GET["format"] = "json"
        return await super().get(request, *args, **kwargs)

    def _serving(self) -> bool:
        return not any(
            result.error and not isinstance(result.error, ServiceWarning) for result in self.results
        )

    def _status(self, result) -> str:
        return "OK" if result.error is None else str(result.error)

    def render_to_response_json(self, status):
        checks, queues = {}, {}
        for result in self.results:
            if isinstance(result.check, TaskQueue):
                queues[result.check.queue] = {
                    "status": self._status(result),
                    "depth": result.check.depth,
                    "oldest_waiting_seconds": result.check.oldest_waiting_seconds,
                }
            else:
                checks[type(result.check).__name__.lower()] = self._status(result)
        serving = self._serving()
        return JsonResponse(
            {"status": "ok" if serving else "failing", "checks": checks, "queues": queues},
            status=200 if serving else 500,
        )

    def render_to_response_text(self, status):
        lines = []
        for result in self.results:
            line = f"{result.check!r}: {self._status(result)}"
            if isinstance(result.check, TaskQueue):
                line += (
                    f" (depth {result.check.depth}, oldest waiting {result.check.oldest_waiting_seconds} s)"
                )
            lines.append(line)
        return HttpResponse(
            "\n".join(lines) + "\n",
            content_type="text/plain; charset=utf-8",
            status=200 if self._serving() else 500,
        )
