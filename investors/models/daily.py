"""The day's housekeeping, run once per day however many workers or cron lines ask."""

from django.db import models
from django.db.models import Q


class DailyRun(models.Model):
    """One day's run of the daily jobs (`investors.daily`). The unique day is the claim: the
    first worker to write it runs the jobs; a second sees it and does nothing. A run that
    started but never finished (its worker died) may be taken over once its lease is over."""

    day = models.DateField(unique=True)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    results = models.JSONField(default=dict, help_text="What each job did, as it said.")

    class Meta:
        ordering = ["-day"]
        constraints = [
            models.CheckConstraint(
                condition=Q(finished_at__isnull=True) | Q(finished_at__gte=models.F("started_at")),
                name="daily_run_finishes_after_it_starts",
            )
        ]

    def __str__(self):
        return f"Daily jobs of {self.day}: {'done' if self.finished_at else 'started'}"
