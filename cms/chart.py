"""The simulator's chart, drawn on the server as SVG geometry: no script, no external library.

Bars are each year's payment (and capital repaid, stacked on top), the line is the running total
received, the dashed line the cap. The numbers themselves are in the table beside the chart;
this module only places shapes, so floats are fine here.
"""

import math
from dataclasses import dataclass
from decimal import Decimal

from cms.simulation import Projection

WIDTH, HEIGHT = 360, 290
RIGHT, TOP, BOTTOM = 8, 18, 50  # margins for the axis labels
AXIS_TITLE_SPACE, TICK_GAP, CHARACTER_WIDTH = 24, 8, 8.4  # for 14px labels
MOST_X_LABELS = 6


@dataclass(frozen=True)
class Bar:
    x: float
    width: float
    paid_y: float
    paid_height: float
    repaid_y: float
    repaid_height: float


@dataclass(frozen=True)
class Tick:
    position: float
    label: str


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    left: float
    right: float
    top: float
    bottom: float
    bars: list[Bar]
    line_points: str
    points: list[tuple[float, float]]
    cap_y: float | None
    y_ticks: list[Tick]
    x_ticks: list[Tick]
    x_axis_label_x: float
    y_axis_label_y: float


def build_chart(projection: Projection, currency_symbol: str) -> Chart:
    rows = projection.rows
    cap = float(projection.cap.amount) if projection.cap is not None else 0.0
    highest = max(
        [cap, *(float(row.cumulative.amount) for row in rows), *(float(row.received.amount) for row in rows)]
    )
    step = _nice_step(highest)
    top_value = step * max(1, math.ceil(highest / step))
    tick_values = [step * n for n in range(round(top_value / step) + 1)]
    tick_labels = [_axis_money(value, currency_symbol) for value in tick_values]
    widest_label = max(len(label) for label in tick_labels)
    plot_left = round(AXIS_TITLE_SPACE + TICK_GAP + CHARACTER_WIDTH * widest_label)
    plot_right = WIDTH - RIGHT
    plot_top, plot_bottom = TOP, HEIGHT - BOTTOM

    def y(value: float) -> float:
        return round(plot_bottom - (plot_bottom - plot_top) * value / top_value, 1)

    slot = (plot_right - plot_left) / max(len(rows), 1)
    bar_width = round(slot * 0.6, 1)
    bars, points, x_ticks = [], [], []
    label_every = math.ceil(len(rows) / MOST_X_LABELS) if rows else 1
    for index, row in enumerate(rows):
        centre = round(plot_left + slot * (index + 0.5), 1)
        paid_top = y(float(row.paid.amount))
        received_top = y(float(row.received.amount))
        bars.append(
            Bar(
                x=round(centre - bar_width / 2, 1),
                width=bar_width,
                paid_y=paid_top,
                paid_height=round(plot_bottom - paid_top, 1),
                repaid_y=received_top,
                repaid_height=round(paid_top - received_top, 1),
            )
        )
        points.append((centre, y(float(row.cumulative.amount))))
        if index % label_every == 0:
            x_ticks.append(Tick(position=centre, label=str(row.year_end.year)))
    return Chart(
        width=WIDTH,
        height=HEIGHT,
        left=plot_left,
        right=plot_right,
        top=plot_top,
        bottom=plot_bottom,
        bars=bars,
        line_points=" ".join(f"{x},{y}" for x, y in points),
        points=points,
        cap_y=y(cap) if projection.cap is not None else None,
        y_ticks=[
            Tick(position=y(value), label=label)
            for value, label in zip(tick_values, tick_labels, strict=True)
        ],
        x_ticks=x_ticks,
        x_axis_label_x=(plot_left + plot_right) / 2,
        y_axis_label_y=(plot_top + plot_bottom) / 2,
    )


def _nice_step(highest: float) -> float:
    """A round step (1, 2, 2.5 or 5 × a power of ten) giving four to six gridlines."""
    if highest <= 0:
        return 1.0
    rough = highest / 5
    power = 10 ** math.floor(math.log10(rough))
    for multiple in (1, 2, 2.5, 5, 10):
        if rough <= multiple * power:
            return multiple * power
    return 10 * power


def _axis_money(value: float, symbol: str) -> str:
    amount = Decimal(str(value))
    if amount == amount.to_integral_value():
        return f"{symbol}{int(amount):,}"
    return f"{symbol}{amount:,.2f}"
