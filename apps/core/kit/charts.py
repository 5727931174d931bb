"""Server-drawn bar charts (inline SVG, no scripts or CDN) for every app's report pages:
`bar_chart(items)` lays the bars out, `{% include "_bar_chart.html" with chart=... label=... %}`
draws them (`empty=` says what shows when there is nothing to chart)."""

from dataclasses import dataclass
from decimal import Decimal

__all__ = ["PLOT_WIDTH", "BarChart", "ChartBar", "bar_chart"]

PLOT_WIDTH = 300  # px of the bars' plot in the 640 px wide chart
ROW = 34  # px per bar


@dataclass(frozen=True)
class ChartBar:
    label: str
    value_text: str
    note: str
    y: int
    width: float  # px of PLOT_WIDTH


@dataclass(frozen=True)
class BarChart:
    bars: list[ChartBar]
    height: int


def bar_chart(
    items: list[tuple[str, Decimal | float, str]], fmt: str = "{:,.2f}", top: float | None = None
) -> BarChart:
    """items: (label, value, note). Bars are scaled to `top` (a rate's 100, a budget), else to
    the largest value; a value past `top` fills the plot, a negative one shows no bar."""
    top = top or max((float(value) for _, value, _ in items), default=0.0) or 1.0
    bars = [
        ChartBar(label, fmt.format(value), note, 8 + index * ROW,
                 round(min(max(float(value), 0) / top, 1.0) * PLOT_WIDTH, 1))
        for index, (label, value, note) in enumerate(items)
    ]  # fmt: skip
    return BarChart(bars, height=16 + ROW * max(len(bars), 1))
