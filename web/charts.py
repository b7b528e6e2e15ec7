"""Charts as SVG built on the server: readable without JavaScript, hover figures in <title>.

Each chart carries a <title> and a <desc> (named by aria-labelledby); the
pages show the same figures in a table next to it. Pure functions of their
data: no queries here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from funding.valuations import valuation_change
from web.formatting import compact_number, format_usd

# Plot geometry (viewBox units; the SVG scales to its container).
WIDTH = 720
HEIGHT = 300
LEFT, RIGHT, TOP, BOTTOM = 64, 16, 16, 40
PLOT_W = WIDTH - LEFT - RIGHT
PLOT_H = HEIGHT - TOP - BOTTOM


@dataclass(frozen=True)
class ValuationPoint:
    """One round of a company, oldest first; valuation is None for an unpriced round."""

    day: date
    label: str  # "Series B · Feb 2024"
    amount_usd: Decimal | None
    valuation_usd: Decimal | None


@dataclass(frozen=True)
class Bar:
    label: str
    segments: Sequence[tuple[str, Decimal]]  # (series name, value), stacked bottom up
    note: str = ""  # shown above the bar, e.g. a round count


def valuation_changes(points: Sequence[ValuationPoint]) -> list[str | None]:
    """Per point: up, down or flat against the previous priced round; None if unpriced or first."""
    changes: list[str | None] = []
    previous: Decimal | None = None
    for point in points:
        changes.append(valuation_change(previous, point.valuation_usd))
        if point.valuation_usd is not None:
            previous = point.valuation_usd
    return changes


def nice_ceiling(value: Decimal) -> Decimal:
    """The smallest 1, 2, 2.5 or 5 times 10^n at or above `value` (an axis maximum)."""
    if value <= 0:
        return Decimal(1)
    magnitude = Decimal(10) ** (len(str(int(value))) - 1)
    for step in (Decimal(1), Decimal(2), Decimal("2.5"), Decimal(5), Decimal(10)):
        if value <= step * magnitude:
            return step * magnitude
    return 10 * magnitude  # pragma: no cover - the loop always returns


def _fmt(value: float) -> str:
    return f"{value:.1f}"


def _frame(chart_id: str, title: str, description: str, body: str) -> SafeString:
    return format_html(
        '<svg class="chart" id="{id}" viewBox="0 0 {w} {h}" role="img" '
        'aria-labelledby="{id}-title {id}-desc" xmlns="http://www.w3.org/2000/svg">'
        '<title id="{id}-title">{title}</title><desc id="{id}-desc">{desc}</desc>{body}</svg>',
        id=chart_id,
        w=WIDTH,
        h=HEIGHT,
        title=title,
        desc=description,
        body=mark_safe(body),  # noqa: S308 - every piece below is built with format_html/escape
    )


def _y_axis(
    maximum: Decimal, *, prefix: str = "$", top: float = TOP, height: float = PLOT_H
) -> str:
    parts = []
    for i in range(6):
        value = maximum * i / 5
        y = top + height - height * i / 5
        parts.append(
            format_html(
                '<line class="grid" x1="{}" x2="{}" y1="{y}" y2="{y}"/>'
                '<text class="tick" x="{}" y="{y}" text-anchor="end" dy="4">{}</text>',
                LEFT,
                WIDTH - RIGHT,
                LEFT - 6,
                f"{prefix}{compact_number(value)}" if value else "0",
                y=_fmt(y),
            )
        )
    return "".join(parts)


def valuation_chart(points: Sequence[ValuationPoint], *, chart_id: str, name: str) -> SafeString:
    """Post-money valuation as a step line with a point per priced round, amounts as bars.

    Bars have their own scale (the lower third of the plot) so that a small
    raise at a large valuation stays visible; up and down rounds are marked
    with a glyph as well as a colour.
    """
    priced = [p for p in points if p.valuation_usd is not None]
    title = f"{name}: post-money valuation and amount raised per round"
    if not points:
        return _frame(chart_id, title, "No rounds yet.", "")
    first, last = points[0].day.toordinal(), points[-1].day.toordinal()
    span = max(last - first, 1)
    pad = 24

    def x_of(day: date) -> float:
        if last == first:
            return LEFT + PLOT_W / 2
        return LEFT + pad + (PLOT_W - 2 * pad) * (day.toordinal() - first) / span

    top_value = nice_ceiling(
        max((p.valuation_usd or Decimal(0) for p in points), default=Decimal(0))
    )
    amounts = [p.amount_usd for p in points if p.amount_usd is not None]
    bar_top = max(amounts, default=Decimal(0))
    bar_zone = PLOT_H / 3

    def y_of(value: Decimal) -> float:
        return TOP + PLOT_H - PLOT_H * float(value / top_value)

    body = [_y_axis(top_value)]
    for point in points:
        if point.amount_usd is None or not bar_top:
            continue
        h = max(bar_zone * float(point.amount_usd / bar_top), 1.0)
        body.append(
            format_html(
                '<rect class="bar" x="{}" y="{}" width="10" height="{}">'
                "<title>{}: raised {}</title></rect>",
                _fmt(x_of(point.day) - 5),
                _fmt(TOP + PLOT_H - h),
                _fmt(h),
                point.label,
                format_usd(point.amount_usd),
            )
        )
    if priced:
        path = []
        for i, point in enumerate(priced):
            x, y = x_of(point.day), y_of(point.valuation_usd or Decimal(0))
            if i == 0:
                path.append(f"M{_fmt(x)} {_fmt(y)}")
            else:
                path.append(f"H{_fmt(x)} V{_fmt(y)}")
        body.append(format_html('<path class="step" d="{}"/>', " ".join(path)))
    glyph = {"up": "▲", "down": "▼", "flat": "■"}
    for point, change in zip(points, valuation_changes(points), strict=True):
        if point.valuation_usd is None:
            continue
        x, y = x_of(point.day), y_of(point.valuation_usd)
        body.append(
            format_html(
                '<g class="point {}"><circle cx="{x}" cy="{y}" r="5"/>{}'
                "<title>{}: valued at {} post-money{}{}</title></g>",
                change or "first",
                format_html(
                    '<text x="{}" y="{}" text-anchor="middle">{}</text>',
                    x,
                    _fmt(float(y) - 10),
                    glyph[change],
                )
                if change
                else "",
                point.label,
                format_usd(point.valuation_usd),
                f", raised {format_usd(point.amount_usd)}" if point.amount_usd else "",
                f" ({change} round)" if change else "",
                x=_fmt(x),
                y=_fmt(y),
            )
        )
    years = sorted({p.day.year for p in points})
    for year in years:
        day = max(date(year, 1, 1), points[0].day) if year == years[0] else date(year, 1, 1)
        body.append(
            format_html(
                '<text class="tick" x="{}" y="{}" text-anchor="middle">{}</text>',
                _fmt(x_of(day)),
                HEIGHT - BOTTOM + 18,
                year,
            )
        )
    if priced:
        latest = priced[-1]
        description = (
            f"{len(priced)} priced round(s) of {len(points)}; latest post-money valuation "
            f"{format_usd(latest.valuation_usd)} ({latest.label})."
        )
    else:
        description = f"{len(points)} round(s), none with a published valuation."
    return _frame(chart_id, title, description, "".join(body))


def bar_chart(
    bars: Sequence[Bar], *, chart_id: str, title: str, description: str, money: bool = True
) -> SafeString:
    """Vertical (stacked) bars, one per label; segments carry a CSS class per series index."""
    if not bars:
        return _frame(chart_id, title, description, "")
    series = list(dict.fromkeys(name for bar in bars for name, _ in bar.segments))
    top_value = nice_ceiling(max(sum((v for _, v in b.segments), Decimal(0)) for b in bars))
    if not money:  # whole-number ticks for counts
        top_value = max(top_value, Decimal(5))
    slot = PLOT_W / len(bars)
    width = max(min(slot * 0.7, 48), 2)
    body = [_y_axis(top_value, prefix="$" if money else "")]
    label_every = 2 if len(bars) > 8 else 1  # keep axis labels apart on narrow screens
    for i, bar in enumerate(bars):
        x = LEFT + slot * i + (slot - width) / 2
        base = Decimal(0)
        for name, value in bar.segments:
            if not value:
                continue
            y1 = TOP + PLOT_H - PLOT_H * float((base + value) / top_value)
            h = PLOT_H * float(value / top_value)
            figure = format_usd(value) if money else str(value)
            body.append(
                format_html(
                    '<rect class="bar s{}" x="{}" y="{}" width="{}" height="{}">'
                    "<title>{} · {}: {}</title></rect>",
                    series.index(name),
                    _fmt(x),
                    _fmt(y1),
                    _fmt(width),
                    _fmt(max(h, 0.5)),
                    bar.label,
                    name,
                    figure,
                )
            )
            base += value
        if bar.note:
            body.append(
                format_html(
                    '<text class="note" x="{}" y="{}" text-anchor="middle">{}</text>',
                    _fmt(x + width / 2),
                    _fmt(TOP + PLOT_H - PLOT_H * float(base / top_value) - 4),
                    bar.note,
                )
            )
        if i % label_every == 0:
            body.append(
                format_html(
                    '<text class="tick" x="{}" y="{}" text-anchor="middle">{}</text>',
                    _fmt(x + width / 2),
                    HEIGHT - BOTTOM + 18,
                    bar.label,
                )
            )
    return _frame(chart_id, title, description, "".join(body))


def legend(names: Sequence[str]) -> SafeString:
    """The key of a bar chart's series, in the same order (CSS classes s0, s1, …)."""
    items = "".join(
        format_html('<li><span class="swatch s{}"></span>{}</li>', i, name)
        for i, name in enumerate(names)
    )
    return format_html('<ul class="legend">{}</ul>', mark_safe(items))  # noqa: S308


__all__ = [
    "Bar",
    "ValuationPoint",
    "bar_chart",
    "legend",
    "nice_ceiling",
    "valuation_changes",
    "valuation_chart",
]
