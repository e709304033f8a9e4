"""Report charts as reportlab.graphics drawings (vector, no browser and no matplotlib needed).

Suppressed groups have no numbers, so they are left out of bar charts and appear as gaps in time series;
the tables next to the charts list them as suppressed.
"""

from __future__ import annotations

from typing import Any

from reportlab.graphics.charts.barcharts import HorizontalBarChart, VerticalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.charts.linecharts import HorizontalLineChart
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors
from reportlab.lib.units import cm

from civicpulse.analysis.labels import SENTIMENTS

WIDTH = 16.5 * cm
HEIGHT = 6 * cm
SENTIMENT_COLOURS = {"negative": colors.HexColor("#d62728"), "neutral": colors.HexColor("#9e9e9e"),
                     "positive": colors.HexColor("#2ca02c")}
BAR_COLOUR = colors.HexColor("#1f77b4")
MAX_TIME_LABELS = 8


def time_labels(keys: list[str], bucket: str) -> list[str]:
    """Short labels for time buckets, at most MAX_TIME_LABELS shown so they never overlap."""
    step = max(1, -(-len(keys) // MAX_TIME_LABELS))
    fmt = (lambda k: f"{k[5:10]} {k[11:13]}h") if bucket == "hour" else (lambda k: k[:10])
    return [fmt(k) if i % step == 0 else "" for i, k in enumerate(keys)]


def volume_chart(rows: list[dict[str, Any]], bucket: str, font: str, title: str | None = None) -> Drawing:
    drawing = _drawing(title, font)
    chart = HorizontalLineChart()
    _place(chart, left=1.4 * cm)
    chart.data = [[r["posts"] for r in rows]]
    chart.lines[0].strokeColor = BAR_COLOUR
    chart.lines[0].strokeWidth = 1.5
    chart.joinedLines = 1
    _category_axis(chart, time_labels([r["key"] for r in rows], bucket), font)
    _value_axis(chart, font, minimum=0)
    drawing.add(chart)
    return drawing


def sentiment_chart(rows: list[dict[str, Any]], bucket: str, font: str, title: str,
                    names: dict[str, str]) -> Drawing:
    """Stacked negative/neutral/positive shares per bucket, in percent; suppressed buckets stay empty."""
    drawing = _drawing(title, font)
    chart = VerticalBarChart()
    _place(chart, left=1.4 * cm, right=3.2 * cm)
    chart.data = [[round(r[f"{s}_share"] * 100, 1) if r[f"{s}_share"] is not None else 0 for r in rows]
                  for s in SENTIMENTS]
    chart.categoryAxis.style = "stacked"
    for i, s in enumerate(SENTIMENTS):
        chart.bars[i].fillColor = SENTIMENT_COLOURS[s]
        chart.bars[i].strokeColor = None
    _category_axis(chart, time_labels([r["key"] for r in rows], bucket), font)
    _value_axis(chart, font, minimum=0, maximum=100)
    drawing.add(chart)
    legend = Legend()
    legend.x, legend.y = WIDTH - 2.9 * cm, HEIGHT - 1.5 * cm
    legend.fontName, legend.fontSize, legend.alignment = font, 7, "right"
    legend.colorNamePairs = [(SENTIMENT_COLOURS[s], names[s]) for s in reversed(SENTIMENTS)]
    drawing.add(legend)
    return drawing


def horizontal_bars(pairs: list[tuple[str, int]], font: str, title: str | None = None) -> Drawing:
    """Ranked groups, largest on top; long names (Vietnamese provinces) get a wide label column."""
    drawing = _drawing(title, font, height=(len(pairs) * 0.6 + 1.4) * cm)
    chart = HorizontalBarChart()
    chart.x, chart.y = 5.5 * cm, 0.6 * cm
    chart.width, chart.height = WIDTH - 6.2 * cm, drawing.height - (1.4 if title else 0.8) * cm
    chart.data = [[n for _, n in reversed(pairs)]]
    chart.bars[0].fillColor = BAR_COLOUR
    _category_axis(chart, [name[:32] for name, _ in reversed(pairs)], font)
    _value_axis(chart, font, minimum=0)
    drawing.add(chart)
    return drawing


def _drawing(title: str | None, font: str, height: float = HEIGHT) -> Drawing:
    drawing = Drawing(WIDTH, height)
    if title:
        drawing.add(String(0, height - 0.45 * cm, title, fontName=font, fontSize=10))
    return drawing


def _place(chart: Any, left: float, right: float = 0.3 * cm) -> None:
    chart.x, chart.y = left, 1.0 * cm
    chart.width, chart.height = WIDTH - left - right, HEIGHT - 1.8 * cm


def _category_axis(chart: Any, names: list[str], font: str) -> None:
    chart.categoryAxis.categoryNames = names
    chart.categoryAxis.labels.fontName = font
    chart.categoryAxis.labels.fontSize = 7


def _value_axis(chart: Any, font: str, minimum: float, maximum: float | None = None) -> None:
    chart.valueAxis.valueMin = minimum
    if maximum is not None:
        chart.valueAxis.valueMax = maximum
    chart.valueAxis.labels.fontName = font
    chart.valueAxis.labels.fontSize = 7
