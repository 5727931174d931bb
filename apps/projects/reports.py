"""A project's progress report: the burn-down of its remaining estimate, hours by person and
the budget used, as figures and as server-drawn charts (inline SVG, no scripts or CDN; the
same approach as the CRM's reports and the Gantt, apps/projects/timeline.py)."""

from datetime import date, timedelta
from decimal import Decimal
from functools import partial

from django.db.models import Min, Sum
from django.db.models.functions import TruncDate, TruncWeek
from django.utils import timezone

from apps.core.kit import charts
from apps.projects import selectors
from apps.projects.models import Project, Task, TimeLog

#: Points of the burn-down at most (a long project is sampled, its last day always shown).
MAX_POINTS = 120
#: Days of a project's burn-down at most (the last ones).
MAX_DAYS = 3 * 366
LINE_WIDTH, LINE_HEIGHT, PAD = 640, 220, 40

#: The kit's bar chart with hours to one decimal (a caller may pass another `fmt`).
bar_chart = partial(charts.bar_chart, fmt="{:,.1f}")


def burndown(project: Project, *, today: date) -> dict:
    """The estimate still open on each day from the project's start to today: the estimate
    of its tasks less that of the tasks done by then (the day they reached a done column), and
    the ideal line from the whole estimate at the start to none at the planned end. Summed by
    the database (a few rows per day whatever the number of tasks)."""
    tasks = Task.objects.filter(project=project)
    figures = tasks.aggregate(total=Sum("estimate_hours"), first=Min("created_at"))
    total = figures["total"] or Decimal(0)
    first_created = timezone.localtime(figures["first"]).date() if figures["first"] else today
    start = project.start_date or first_created
    end = max(today, project.end_date or today)
    start = min(max(start, end - timedelta(days=MAX_DAYS)), end)
    done_by_day: dict[date, Decimal] = {}
    finished = (
        tasks.filter(completed_at__isnull=False, estimate_hours__isnull=False)
        .annotate(day=TruncDate("completed_at"))
        .values("day")
        .annotate(hours=Sum("estimate_hours"))
        .order_by()
    )
    for row in finished:
        day = max(row["day"], start)
        done_by_day[day] = done_by_day.get(day, Decimal(0)) + row["hours"]
    span = (end - start).days or 1
    step = max(1, -(-span // MAX_POINTS))
    days = [start + timedelta(days=n) for n in range(0, span + 1, step)]
    if days[-1] != end:
        days.append(end)
    points, done, cursor = [], Decimal(0), start
    for day in (d for d in days if d <= today):
        while cursor <= day:
            done += done_by_day.get(cursor, Decimal(0))
            cursor += timedelta(days=1)
        points.append({"day": day, "remaining": total - done})
    if points and points[-1]["day"] != today and start <= today:
        points.append({"day": today, "remaining": total - sum(
            (h for d, h in done_by_day.items() if d <= today), Decimal(0))})  # fmt: skip
    chart = _line_chart(points, start=start, end=end, total=total, today=today,
                        ideal_end=project.end_date)  # fmt: skip
    return {"total": total, "remaining": points[-1]["remaining"] if points else total,
            "points": points, "chart": chart, "start": start, "end": end}  # fmt: skip


def _line_chart(points, *, start: date, end: date, total: Decimal, today: date,
                ideal_end: date | None) -> dict:  # fmt: skip
    span = (end - start).days or 1
    top = float(total) or 1.0
    width, height = LINE_WIDTH - 2 * PAD, LINE_HEIGHT - 2 * PAD

    def x(day: date) -> float:
        return round(PAD + (day - start).days / span * width, 1)

    def y(value) -> float:
        return round(PAD + (1 - float(value) / top) * height, 1)

    line = " ".join(f"{x(p['day'])},{y(p['remaining'])}" for p in points)
    ideal = None
    if ideal_end is not None and ideal_end >= start:
        ideal = {"x1": x(start), "y1": y(total), "x2": x(ideal_end), "y2": y(0)}
    ticks = [{"y": y(total * Decimal(n) / 4), "label": f"{float(total) * n / 4:,.0f}"}
             for n in range(5)]  # fmt: skip
    return {"width": LINE_WIDTH, "height": LINE_HEIGHT, "line": line, "ideal": ideal,
            "ticks": ticks, "left": PAD, "right": LINE_WIDTH - PAD, "bottom": PAD + height,
            "today": x(today) if start <= today <= end else None,
            "start_label": f"{start:%d %b %Y}", "end_label": f"{end:%d %b %Y}",
            "last": {"x": x(points[-1]["day"]), "y": y(points[-1]["remaining"])}
            if points else None}  # fmt: skip


def progress(project: Project, *, today: date) -> dict:
    """Everything the report page shows."""
    totals = selectors.project_totals(project)
    people = selectors.hours_by_person(project)
    hours_chart = bar_chart(
        [(row["username"], row["hours"], f"{row['billable_hours']:.1f} billable") for row in people]
    )
    budget = []
    if totals["budget_hours"]:
        budget.append(
            (
                "Hours",
                totals["logged_hours"],
                f"of {totals['budget_hours']:,.1f} h",
                totals["budget_hours"],
            )
        )
    if totals["budget_amount"]:
        budget.append(
            (
                "Money",
                totals["billable_amount"],
                f"of {totals['budget_amount']:,.2f}",
                totals["budget_amount"],
            )
        )
    budget_bars = [
        (label, Decimal(100) * used / limit, f"{used:,.1f} {note}")
        for label, used, note, limit in budget
    ]  # fmt: skip
    return {"totals": totals, "by_person": people, "hours_chart": hours_chart,
            "budget_chart": bar_chart(budget_bars, fmt="{:,.0f} %", top=100.0),
            "burndown": burndown(project, today=today),
            "per_week_chart": bar_chart([(f"Week of {row['week']:%d %b}", row["hours"], "")
                                         for row in _hours_per_week(project)])}  # fmt: skip


def _hours_per_week(project: Project) -> list[dict]:
    """Hours logged per week (by the day of the work), the last 12 weeks that have any."""
    rows = (
        TimeLog.objects.filter(task__project=project)
        .annotate(week=TruncWeek("work_date"))
        .values("week")
        .annotate(hours=Sum("hours"))
        .order_by("-week")[:12]
    )
    return list(reversed(rows))
