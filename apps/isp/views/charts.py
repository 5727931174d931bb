"""Server-rendered SVG charts for the dashboard: no JavaScript, no CDN, readable without CSS.

Each chart is a month axis with bars (grouped or stacked) and optionally a line; every bar and
point carries a <title> so hovering shows its exact value.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

LEFT, RIGHT, TOP, BOTTOM = 48, 10, 14, 28


@dataclass(frozen=True)
class Series:
    key: str
    label: str
    css: str  # class name giving the colour (apps/isp/static/isp/isp.css)


def _nice_max(value: Decimal | int, *, whole: bool = False) -> Decimal:
    """A round top for the axis at or above `value` (1, 2, 2.5, 5 × 10^n); for counts
    (`whole`), a multiple of 4 so that every quarter gridline is a whole number."""
    value = Decimal(value)
    if whole:
        return Decimal(max(4, -(-int(_nice_max(value)) // 4) * 4))
    if value <= 0:
        return Decimal(1)
    exponent = len(str(int(value))) - 1
    base = Decimal(10) ** exponent
    for step in (1, 2, Decimal("2.5"), 5, 10):
        if value <= base * step:
            return base * step
    return base * 10  # pragma: no cover


def _format(value, money: bool) -> str:
    if money:
        return f"{Decimal(value):,.2f}"
    return f"{int(value):,}"


def _short(value: Decimal, money: bool) -> str:
    value = Decimal(value)
    if value >= 1_000_000:
        return f"{value / 1_000_000:.1f}M"
    if value >= 10_000:
        return f"{value / 1000:.0f}k"
    if value >= 1000:
        return f"{value / 1000:.1f}k"
    return f"{value:.0f}" if money else f"{int(value)}"


def month_chart(
    points,
    *,
    bars: list[Series],
    line: Series | None = None,
    stacked: bool = False,
    money: bool = False,
    title: str = "",
    width: int = 900,
    height: int = 260,
) -> SafeString:
    """An SVG chart of `points` (selectors.MonthPoint) with `bars` and an optional `line`;
    `width` and `height` are the drawing's units (it scales to its box; the text with it)."""
    WIDTH, HEIGHT = width, height  # noqa: N806
    count = max(len(points), 1)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    totals = []
    for point in points:
        values = [Decimal(point.values[s.key]) for s in bars]
        totals.append(sum(values) if stacked else max(values, default=0))
        if line is not None:
            totals.append(Decimal(point.values[line.key]))
    top = _nice_max(max(totals, default=0), whole=not money)

    def y(value) -> float:
        return TOP + plot_h - float(Decimal(value) / top) * plot_h

    out = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">'
    ]
    for fraction in (0, Decimal("0.25"), Decimal("0.5"), Decimal("0.75"), 1):
        value = top * fraction
        gy = y(value)
        out.append(
            f'<line class="grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{gy:.1f}" y2="{gy:.1f}"/>'
            f'<text class="axis" x="{LEFT - 6}" y="{gy + 4:.1f}" text-anchor="end">'
            f"{_short(value, money)}</text>"
        )
    slot = plot_w / count
    group_w = slot * 0.7
    for index, point in enumerate(points):
        x0 = LEFT + index * slot + (slot - group_w) / 2
        base = Decimal(0)
        bar_w = group_w if stacked else group_w / max(len(bars), 1)
        for n, series in enumerate(bars):
            value = Decimal(point.values[series.key])
            if stacked:
                y_top, y_bottom, x = y(base + value), y(base), x0
                base += value
            else:
                y_top, y_bottom, x = y(value), y(0), x0 + n * bar_w
            height = max(y_bottom - y_top, 0)
            out.append(
                f'<rect class="bar {series.css}" x="{x:.1f}" y="{y_top:.1f}" '
                f'width="{max(bar_w - 1, 1):.1f}" height="{height:.1f}">'
                f"<title>{escape(point.label)} · {escape(series.label)}: "
                f"{_format(value, money)}</title></rect>"
            )
        out.append(
            f'<text class="axis" x="{LEFT + index * slot + slot / 2:.1f}" y="{HEIGHT - 8}" '
            f'text-anchor="middle">{escape(point.label)}</text>'
        )
    if line is not None and points:
        coords = [
            (LEFT + i * slot + slot / 2, y(point.values[line.key]))
            for i, point in enumerate(points)
        ]
        path = " ".join(f"{x:.1f},{py:.1f}" for x, py in coords)
        out.append(f'<polyline class="line {line.css}" points="{path}"/>')
        for (x, py), point in zip(coords, points, strict=True):
            out.append(
                f'<circle class="dot {line.css}" cx="{x:.1f}" cy="{py:.1f}" r="3">'
                f"<title>{escape(point.label)} · {escape(line.label)}: "
                f"{_format(point.values[line.key], money)}</title></circle>"
            )
    out.append("</svg>")
    legend = "".join(
        f'<span class="key"><i class="swatch {s.css}"></i>{escape(s.label)}</span>'
        for s in [*bars, *([line] if line else [])]
    )
    return mark_safe(f'{"".join(out)}<div class="legend">{legend}</div>')  # noqa: S308


def dashboard_charts(board) -> dict[str, SafeString]:
    months = board.months
    return {
        "revenue": month_chart(
            months,
            bars=[
                Series("invoiced", "Invoiced (incl. tax)", "c-blue"),
                Series("collected", "Collected", "c-green"),
            ],
            line=Series("mrr", "MRR (net)", "c-ink"),
            money=True,
            title="MRR and revenue by month",
        ),
        "invoices": month_chart(
            months,
            bars=[
                Series("paid", "Paid", "c-green"),
                Series("pending", "Open, not yet due", "c-grey"),
                Series("overdue", "Overdue", "c-red"),
            ],
            stacked=True,
            title="Invoices paid vs overdue by month of issue",
            width=520,
            height=280,
        ),
        "subscribers": month_chart(
            months,
            bars=[Series("new", "New", "c-blue"), Series("churned", "Churned", "c-red")],
            title="New vs churned subscribers by month",
            width=520,
            height=280,
        ),
    }


def latency_chart(points, *, start, end, title: str, width: int = 900, height: int = 220):
    """An SVG line of latency over time (`points`: (at, ms or None)); a failed probe breaks
    the line and is a red tick on the axis."""
    WIDTH, HEIGHT = width, height  # noqa: N806
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    span = max((end - start).total_seconds(), 1)
    top = _nice_max(Decimal(str(max((ms for _, ms in points if ms is not None), default=1))))

    def x(at) -> float:
        return LEFT + (at - start).total_seconds() / span * plot_w

    def y(ms) -> float:
        return TOP + plot_h - float(Decimal(str(ms)) / top) * plot_h

    out = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">'
    ]
    for fraction in (0, Decimal("0.25"), Decimal("0.5"), Decimal("0.75"), 1):
        gy = y(top * fraction)
        out.append(
            f'<line class="grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{gy:.1f}" y2="{gy:.1f}"/>'
            f'<text class="axis" x="{LEFT - 6}" y="{gy + 4:.1f}" text-anchor="end">'
            f"{top * fraction:g} ms</text>"
        )
    for label_at, anchor in ((start, "start"), (end, "end")):
        out.append(
            f'<text class="axis" x="{x(label_at):.1f}" y="{HEIGHT - 8}" text-anchor="{anchor}">'
            f"{label_at:%d %b %H:%M}</text>"
        )
    runs, run, failures = [], [], []
    for at, ms in points:
        if ms is None:
            failures.append(at)
            if run:
                runs.append(run)
            run = []
        else:
            run.append((x(at), y(ms)))
    if run:
        runs.append(run)
    for segment in runs:
        path = " ".join(f"{px:.1f},{py:.1f}" for px, py in segment)
        out.append(f'<polyline class="line c-blue" points="{path}"/>')
    base = TOP + plot_h
    for at in failures:
        out.append(
            f'<line class="failed" x1="{x(at):.1f}" x2="{x(at):.1f}" y1="{base:.1f}" '
            f'y2="{base - 8:.1f}"><title>{at:%d %b %H:%M:%S}: no answer</title></line>'
        )
    out.append("</svg>")
    legend = (
        '<span class="key"><i class="swatch c-blue"></i>Latency (ms)</span>'
        '<span class="key"><i class="swatch c-red"></i>No answer</span>'
    )
    return mark_safe(f'{"".join(out)}<div class="legend">{legend}</div>')  # noqa: S308
