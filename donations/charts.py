"""Charts as server-rendered SVG: no JavaScript, no CDN, readable by screen readers.

Each chart is an `<svg role="img">` labelled by its own `<title>` and `<desc>` (the desc
says in words what the chart shows), with plain presentation attributes only, so that a
strict Content-Security-Policy (no inline styles, no scripts) renders it unchanged.

    line_chart(...)   lines over shared x labels: cumulative net against the target's pace
    bar_chart(...)    stacked bars per x label: one-off and recurring money by month
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape

from markupsafe import Markup

WIDTH = 720
HEIGHT = 300
LEFT = 96
# Room on the right for the last x label, centred on the plot's right edge.
RIGHT = 44
TOP = 16
BOTTOM = 44
TICKS = 4
# Colour-blind-safe pair (Okabe-Ito blue and orange) and a neutral for guides.
PALETTE = ("#0072b2", "#e69f00", "#009e73", "#cc79a7")
GRID = "#d0d0d0"
INK = "#333333"


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[int]
    dashed: bool = False


def nice_step(span: int) -> int:
    """A round step (1, 2 or 5 times a power of ten) giving about TICKS gridlines."""
    raw = max(span, 1) / TICKS
    power = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 5):
        if factor * power >= raw:
            return max(1, int(factor * power))
    return max(1, int(10 * power))


def _scale(low: int, high: int) -> tuple[int, int, int]:
    """(bottom, top, step) of the y axis: round numbers covering [low, high], 0 included."""
    low, high = min(low, 0), max(high, 0)
    step = nice_step(high - low)
    bottom = math.floor(low / step) * step
    top = max(math.ceil(high / step) * step, bottom + step)
    return bottom, top, step


def _frame(chart_id: str, title: str, description: str, body: list[str]) -> Markup:
    title_id, desc_id = f"{chart_id}-title", f"{chart_id}-desc"
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="{escape(chart_id)}" '
        f'role="img" viewBox="0 0 {WIDTH} {HEIGHT}" width="100%" '
        f'aria-labelledby="{escape(title_id)} {escape(desc_id)}" font-family="sans-serif" '
        f'font-size="13">',
        f'<title id="{escape(title_id)}">{escape(title)}</title>',
        f'<desc id="{escape(desc_id)}">{escape(description)}</desc>',
        *body,
        "</svg>",
    ]
    return Markup("\n".join(parts))


def _axes(
    low: int,
    high: int,
    step: int,
    labels: Sequence[str],
    xs: Sequence[float],
    fmt: Callable[[int], str],
) -> tuple[list[str], Callable[[float], float]]:
    """Gridlines with their amounts, and the x labels, each centred under its own data
    point or bar (`xs`) with a tick mark joining them."""
    plot_height = HEIGHT - TOP - BOTTOM

    def y(value: float) -> float:
        return TOP + plot_height * (high - value) / (high - low)

    body: list[str] = []
    for tick in range(low, high + 1, step):
        at = y(tick)
        body.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{at:.1f}" y2="{at:.1f}" '
            f'stroke="{GRID}" stroke-width="1"/>'
        )
        body.append(
            f'<text x="{LEFT - 6}" y="{at + 4:.1f}" text-anchor="end" fill="{INK}">'
            f"{escape(fmt(tick))}</text>"
        )
    base = HEIGHT - BOTTOM
    for index in shown_labels(len(labels)):
        x = xs[index]
        body.append(
            f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{base}" y2="{base + 5}" stroke="{INK}" '
            f'stroke-width="1"/>'
            f'<text x="{x:.1f}" y="{base + 18}" text-anchor="middle" fill="{INK}">'
            f"{escape(labels[index])}</text>"
        )
    return body, y


def shown_labels(count: int) -> list[int]:
    """Which x labels to write: at most about 8, evenly spread, always the first and the
    last, and none so close to the last that the two would overlap."""
    every = max(1, math.ceil(count / 8))
    last = count - 1
    return [
        index
        for index in range(count)
        if index == last or (index % every == 0 and last - index >= every)
    ]


def _slot_x(index: int, count: int) -> float:
    """The centre of the index-th of `count` equal slots across the plot: a bar's place."""
    slot = (WIDTH - LEFT - RIGHT) / max(count, 1)
    return LEFT + slot * (index + 0.5)


def _point_x(index: int, count: int) -> float:
    """A line's index-th of `count` points, the first on the y axis and the last at the
    plot's right edge: a line starts where its first label (the campaign's start) is."""
    if count <= 1:
        return float(LEFT)
    return LEFT + (WIDTH - LEFT - RIGHT) * index / (count - 1)


def _legend(series: Sequence[Series]) -> list[str]:
    body: list[str] = []
    for index, one in enumerate(series):
        x = LEFT + index * 200
        colour = PALETTE[index % len(PALETTE)]
        body.append(
            f'<rect x="{x}" y="{HEIGHT - 16}" width="12" height="12" fill="{colour}"/>'
            f'<text x="{x + 18}" y="{HEIGHT - 6}" fill="{INK}">{escape(one.name)}</text>'
        )
    return body


def line_chart(
    *,
    chart_id: str,
    title: str,
    description: str,
    labels: Sequence[str],
    series: Sequence[Series],
    fmt: Callable[[int], str],
) -> Markup:
    values = [value for one in series for value in one.values]
    low, high, step = _scale(min(values, default=0), max(values, default=0))
    xs = [_point_x(i, len(labels)) for i in range(len(labels))]
    body, y = _axes(low, high, step, labels, xs, fmt)
    for index, one in enumerate(series):
        points = " ".join(f"{xs[i]:.1f},{y(value):.1f}" for i, value in enumerate(one.values))
        dash = ' stroke-dasharray="6 4"' if one.dashed else ""
        body.append(
            f'<polyline points="{points}" fill="none" stroke="{PALETTE[index % len(PALETTE)]}" '
            f'stroke-width="2.5"{dash}><title>{escape(one.name)}</title></polyline>'
        )
    return _frame(chart_id, title, description, body + _legend(series))


def bar_chart(
    *,
    chart_id: str,
    title: str,
    description: str,
    labels: Sequence[str],
    series: Sequence[Series],
    fmt: Callable[[int], str],
) -> Markup:
    """Stacked bars: each label's values, one series on top of the other (all >= 0)."""
    totals = [sum(one.values[i] for one in series) for i in range(len(labels))]
    low, high, step = _scale(0, max(totals, default=0))
    xs = [_slot_x(i, len(labels)) for i in range(len(labels))]
    body, y = _axes(low, high, step, labels, xs, fmt)
    slot = (WIDTH - LEFT - RIGHT) / max(len(labels), 1)
    width = slot * 0.6
    for i, label in enumerate(labels):
        base = 0
        for index, one in enumerate(series):
            value = one.values[i]
            if value <= 0:
                continue
            top, bottom = y(base + value), y(base)
            body.append(
                f'<rect x="{xs[i] - width / 2:.1f}" y="{top:.1f}" '
                f'width="{width:.1f}" height="{bottom - top:.1f}" '
                f'fill="{PALETTE[index % len(PALETTE)]}">'
                f"<title>{escape(label)}: {escape(one.name)} {escape(fmt(value))}</title></rect>"
            )
            base += value
    return _frame(chart_id, title, description, body + _legend(series))
