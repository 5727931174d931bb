"""The geometry of a project's Gantt chart, drawn as SVG by templates/projects/timeline.html:
one row per dated task (a bar from its start to its due date), an arrow from each dependency's
end to its dependant's start, milestones as diamonds and a line at today."""

from dataclasses import dataclass
from datetime import date, timedelta

DAY = 18  # px per day (narrowed for long projects)
ROW = 28
LEFT = 240  # px of the task names
TOP = 34  # px of the month header
MAX_WIDTH = 1800


@dataclass(frozen=True)
class Bar:
    task: object
    x: float
    y: float
    width: float
    done: bool
    late: bool


def gantt(tasks: list, milestones: list, *, today: date) -> dict:
    dated = [t for t in tasks if t.start_date or t.due_date]
    days = [d for t in dated for d in (t.start_date, t.due_date) if d]
    days += [m.due_date for m in milestones if m.due_date]
    if not days:
        return {"empty": True, "undated": len(tasks)}
    first, last = min(days) - timedelta(days=1), max(days) + timedelta(days=2)
    span = (last - first).days
    day = min(DAY, max(2.0, (MAX_WIDTH - LEFT) / span))

    def x_of(when: date) -> float:
        return LEFT + (when - first).days * day

    bars, where = [], {}
    for row, task in enumerate(dated):
        start = task.start_date or task.due_date
        end = task.due_date or task.start_date
        y = TOP + row * ROW
        bar = Bar(
            task=task,
            x=x_of(start),
            y=y + 6,
            width=max(day, (end - start).days * day + day),
            done=task.column.is_done,
            late=bool(task.due_date and task.due_date < today and not task.column.is_done),
        )
        bars.append(bar)
        where[task.pk] = bar
    arrows = []
    for task in dated:
        for dep_id in getattr(task, "depends_on_ids", None) or []:
            if dep_id in where:
                a, b = where[dep_id], where[task.pk]
                x1, y1 = a.x + a.width, a.y + 8
                x2, y2 = b.x, b.y + 8
                mid = max(x1 + 6, min(x2 - 6, x1 + 10))
                arrows.append({"from": dep_id, "to": task.pk,
                               "path": f"M{x1:.1f},{y1:.1f} H{mid:.1f} V{y2:.1f} H{x2 - 2:.1f}",
                               "tip": f"{x2:.1f},{y2:.1f} {x2 - 6:.1f},{y2 - 4:.1f} "
                                      f"{x2 - 6:.1f},{y2 + 4:.1f}"})  # fmt: skip
    height = TOP + max(1, len(dated)) * ROW + 10
    marks = [m for m in milestones if m.due_date]
    diamonds = [{"milestone": m, "x": x_of(m.due_date) + day / 2, "y": TOP - 10} for m in marks]
    months, cursor = [], first.replace(day=1)
    while cursor <= last:
        if cursor >= first:
            months.append({"x": x_of(cursor), "label": cursor.strftime("%b %Y")})
        cursor = (cursor + timedelta(days=32)).replace(day=1)
    width = LEFT + span * day + 10
    return {
        "empty": False,
        "bars": bars,
        "arrows": arrows,
        "diamonds": diamonds,
        "months": months,
        "width": round(width),
        "height": round(height),
        "left": LEFT,
        "today": x_of(today) if first <= today <= last else None,
        "undated": len(tasks) - len(dated),
    }
