"""The usage pages' charts: a daily series as columns, each a class of widths.css (the pages'
Content-Security-Policy refuses style attributes)."""

from django.template.defaultfilters import filesizeformat

from apps.platform.metering.selectors import MEASURES

__all__ = ["display", "series_charts"]


def display(value, unit: str) -> str:
    if unit == "bytes":
        return filesizeformat(value)
    if unit == "seconds":
        return f"{value:,.1f} s"
    return f"{int(value):,}"


def series_charts(rows) -> list[dict]:
    """One chart per measure over `rows` (UsageDay rows or platform_totals dicts, oldest
    first): its columns with their height relative to the highest day, and the latest value."""

    def value(row, name):
        return row[name] if isinstance(row, dict) else getattr(row, name)

    charts = []
    for measure, label, unit in MEASURES:
        values = [(value(row, "day"), value(row, measure)) for row in rows]
        top = max((v for _day, v in values), default=0)
        charts.append({
            "measure": measure, "label": label,
            "latest": display(values[-1][1], unit) if values else "—",
            "peak": display(top, unit),
            "columns": [{"day": day, "value": v, "text": display(v, unit), "top": top}
                        for day, v in values],
        })  # fmt: skip
    return charts
