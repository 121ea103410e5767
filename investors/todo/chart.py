"""An open offer's days, drawn on the server as SVG geometry: a bar for the money applied for
each day and a line for the number of applications. The figures are in the table beside it;
this module only places shapes, so floats are fine here."""

import datetime
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from capital.models import Offer
from investors.models import Application

WIDTH, HEIGHT, LEFT, BOTTOM, TOP = 360, 140, 4, 18, 8
MOST_DAYS = 60
COUNTED = (
    Application.State.AWAITING_PAYMENT,
    Application.State.PAID,
    Application.State.ALLOCATED,
)


@dataclass(frozen=True)
class Day:
    day: datetime.date
    money: Decimal
    applications: int
    x: float
    width: float
    bar_y: float
    bar_height: float
    point_y: float


@dataclass(frozen=True)
class DayChart:
    width: int
    height: int
    baseline: float
    days: list[Day]

    @property
    def points(self) -> str:
        return " ".join(f"{day.x + day.width / 2:.1f},{day.point_y:.1f}" for day in self.days)

    @property
    def first(self):
        return self.days[0] if self.days else None

    @property
    def last(self):
        return self.days[-1] if self.days else None


def offer_days_chart(offer: Offer, now=None) -> DayChart:
    """The offer's days from its opening (at most the last 60) to today."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    start = max(timezone.localdate(offer.opens_at), today - datetime.timedelta(days=MOST_DAYS - 1))
    rows = (
        Application.objects.filter(offer=offer, state__in=COUNTED, created_at__date__gte=start)
        .annotate(day=TruncDate("created_at"))
        .values("day")
        .annotate(money=Sum("amount"), applications=Count("pk"))
        .order_by("day")
    )
    by_day = {row["day"]: (row["money"] or Decimal(0), row["applications"]) for row in rows}
    count = max(1, (today - start).days + 1)
    top_money = max((money for money, _ in by_day.values()), default=Decimal(0)) or Decimal(1)
    top_count = max((number for _, number in by_day.values()), default=0) or 1
    baseline = HEIGHT - BOTTOM
    span = baseline - TOP
    step = (WIDTH - LEFT) / count
    days = []
    for index in range(count):
        day = start + datetime.timedelta(days=index)
        money, number = by_day.get(day, (Decimal(0), 0))
        # The bar: money as a share of the tallest day, in tenths of a pixel, kept in Decimal.
        height = (money * span / top_money).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
        days.append(
            Day(
                day=day,
                money=money,
                applications=number,
                x=LEFT + index * step + step * 0.1,
                width=step * 0.8,
                bar_y=float(baseline - height),
                bar_height=float(height),
                point_y=baseline - number / top_count * span,
            )
        )
    return DayChart(WIDTH, HEIGHT, baseline, days)
