"""Report figures as API rows and as server-drawn charts (inline SVG, no scripts or CDN)."""

from dataclasses import dataclass
from decimal import Decimal

from apps.crm import selectors


def pipeline_rows(user) -> list[dict]:
    return [{"id": bar.label, "stage": bar.label, "value": str(bar.value), "note": bar.extra}
            for bar in selectors.pipeline_by_stage(user)]  # fmt: skip


def forecast_rows(user) -> list[dict]:
    return [{"id": bar.label, "month": bar.label, "weighted": str(bar.value), "note": bar.extra}
            for bar in selectors.weighted_forecast(user)]  # fmt: skip


def win_rate_row(user) -> dict:
    figures = selectors.win_rate(user)
    return {**figures, "won_amount": str(figures["won_amount"]),
            "lost_amount": str(figures["lost_amount"])}  # fmt: skip


def conversion_rows(user) -> list[dict]:
    return [{"id": row["source"], **row} for row in selectors.conversion_by_source(user)]


PLOT_WIDTH = 300


@dataclass(frozen=True)
class ChartBar:
    label: str
    value_text: str
    note: str
    y: int
    width: float  # px of the 300 px plot


@dataclass(frozen=True)
class BarChart:
    """A horizontal bar chart laid out for an inline SVG (see crm/_bar_chart.html)."""

    bars: list[ChartBar]
    height: int
    row: int = 34


def bar_chart(
    items: list[tuple[str, Decimal | float, str]], fmt: str = "{:,.2f}", top: float | None = None
) -> BarChart:
    """items: (label, value, note). Bars are scaled to `top` (a rate's 100), else to the
    largest value."""
    top = top or max((float(value) for _, value, _ in items), default=0.0) or 1.0
    bars = [
        ChartBar(label, fmt.format(value), note, 8 + index * 34,
                 round(max(float(value), 0) / top * PLOT_WIDTH, 1))
        for index, (label, value, note) in enumerate(items)
    ]  # fmt: skip
    return BarChart(bars, height=16 + 34 * max(len(bars), 1))
