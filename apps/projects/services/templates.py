"""Project templates: a plan of milestones and tasks with relative dates, validated once on
save, applied to a project from its start date."""

from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from apps.core.kit.writes import record_create, record_delete, record_update
from apps.projects.constants import (
    MAX_LABELS,
    MAX_TEMPLATE_MILESTONES,
    MAX_TEMPLATE_OFFSET_DAYS,
    MAX_TEMPLATE_TASKS,
    Priority,
)
from apps.projects.models import Project, ProjectTemplate
from apps.projects.services.access import ensure_may
from apps.projects.services.projects import milestone_create, project_create
from apps.projects.services.tasks import dependencies_set, task_create

__all__ = ["project_from_template", "template_apply", "template_create", "template_delete",
           "template_update"]  # fmt: skip


def _days(value, field: str, *, minimum: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError({field: "A whole number of days."})
    if not minimum <= value <= MAX_TEMPLATE_OFFSET_DAYS:
        raise ValidationError({field: f"Between {minimum} and {MAX_TEMPLATE_OFFSET_DAYS} days."})
    return value


def _text(value, field: str, max_length: int) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValidationError({field: "This field is required."})
    if len(value) > max_length:
        raise ValidationError({field: f"At most {max_length} characters."})
    return value.strip()


def clean_plan(milestones, tasks) -> tuple[list[dict], list[dict]]:
    """The template's milestones and tasks, checked and normalised (a clear 400 otherwise)."""
    if not isinstance(milestones, list) or len(milestones) > MAX_TEMPLATE_MILESTONES:
        raise ValidationError({"milestones": f"A list of at most {MAX_TEMPLATE_MILESTONES}."})
    if not isinstance(tasks, list) or len(tasks) > MAX_TEMPLATE_TASKS:
        raise ValidationError({"tasks": f"A list of at most {MAX_TEMPLATE_TASKS}."})
    clean_milestones = []
    for i, item in enumerate(milestones):
        if not isinstance(item, dict):
            raise ValidationError({f"milestones[{i}]": "An object: {name, offset_days}."})
        clean_milestones.append({
            "name": _text(item.get("name"), f"milestones[{i}].name", 200),
            "offset_days": _days(item.get("offset_days", 0), f"milestones[{i}].offset_days"),
        })  # fmt: skip
    clean_tasks = []
    for i, item in enumerate(tasks):
        where = f"tasks[{i}]"
        if not isinstance(item, dict):
            raise ValidationError({where: "An object: {title, start_offset_days, ...}."})
        milestone = item.get("milestone")
        if milestone is not None and (
            isinstance(milestone, bool) or not isinstance(milestone, int)
            or not 0 <= milestone < len(clean_milestones)
        ):  # fmt: skip
            raise ValidationError({f"{where}.milestone": "The index of one of the milestones."})
        depends_on = item.get("depends_on") or []
        if not isinstance(depends_on, list) or any(
            isinstance(d, bool) or not isinstance(d, int) or not 0 <= d < i for d in depends_on
        ):
            raise ValidationError({f"{where}.depends_on": "Indexes of earlier tasks."})
        estimate = item.get("estimate_hours")
        if estimate is not None:
            try:
                estimate = Decimal(str(estimate))
            except InvalidOperation:
                estimate = None
            if estimate is None or not Decimal(0) <= estimate <= Decimal(10_000):
                raise ValidationError({f"{where}.estimate_hours": "Hours, 0 to 10000."})
            estimate = str(estimate)
        priority = item.get("priority", Priority.NORMAL)
        if priority not in Priority.values:
            raise ValidationError({f"{where}.priority": f'"{priority}" is not a valid choice.'})
        labels = item.get("labels") or []
        if (
            not isinstance(labels, list)
            or len(labels) > MAX_LABELS
            or not all(isinstance(label, str) and len(label) <= 40 for label in labels)
        ):
            raise ValidationError({f"{where}.labels": f"At most {MAX_LABELS} short labels."})
        clean_tasks.append({
            "title": _text(item.get("title"), f"{where}.title", 300),
            "start_offset_days": _days(item.get("start_offset_days", 0),
                                       f"{where}.start_offset_days"),
            "duration_days": _days(item.get("duration_days", 1), f"{where}.duration_days",
                                   minimum=1),
            "estimate_hours": estimate, "milestone": milestone,
            "depends_on": sorted(set(depends_on)), "priority": priority, "labels": labels,
        })  # fmt: skip
    return clean_milestones, clean_tasks


@transaction.atomic
def template_create(*, name: str, milestones=(), tasks=(), actor=None, **fields):
    milestones, tasks = clean_plan(list(milestones), list(tasks))
    template = ProjectTemplate(name=name, milestones=milestones, tasks=tasks, **fields)
    return record_create(template, actor=actor)


@transaction.atomic
def template_update(*, template: ProjectTemplate, actor=None, **fields) -> ProjectTemplate:
    if "milestones" in fields or "tasks" in fields:
        fields["milestones"], fields["tasks"] = clean_plan(
            fields.get("milestones", template.milestones), fields.get("tasks", template.tasks)
        )
    record_update(template, fields, actor=actor)
    return template


@transaction.atomic
def template_delete(*, template: ProjectTemplate, actor=None) -> None:
    record_delete(template, actor=actor)


@transaction.atomic
def template_apply(*, project: Project, template: ProjectTemplate,
                   start_date: date | None = None, actor=None) -> Project:  # fmt: skip
    """Add the template's milestones and tasks to the project, dated from `start_date`
    (default: the project's start, else today), in its board's first column, with the
    template's dependencies."""
    ensure_may(actor, project, "change", "plan the project from a template")
    start = start_date or project.start_date or timezone.localdate()
    milestones, tasks = clean_plan(template.milestones, template.tasks)
    made_milestones = [
        milestone_create(project=project, name=m["name"],
                         due_date=start + timedelta(days=m["offset_days"]), actor=actor)
        for m in milestones
    ]  # fmt: skip
    made = []
    for item in tasks:
        begins = start + timedelta(days=item["start_offset_days"])
        made.append(task_create(
            project=project, title=item["title"], start_date=begins,
            due_date=begins + timedelta(days=item["duration_days"] - 1),
            estimate_hours=None if item["estimate_hours"] is None else Decimal(
                item["estimate_hours"]),
            milestone=None if item["milestone"] is None else made_milestones[item["milestone"]],
            priority=item["priority"], labels=item["labels"], actor=actor,
        ))  # fmt: skip
    for task, item in zip(made, tasks, strict=True):
        if item["depends_on"]:
            dependencies_set(task=task, depends_on=[made[i] for i in item["depends_on"]],
                             actor=actor)  # fmt: skip
    if project.start_date is None or project.end_date is None:
        ends = [t.due_date for t in made] + [m.due_date for m in made_milestones]
        fields = {"start_date": project.start_date or start}
        if project.end_date is None and ends:
            fields["end_date"] = max(ends)
        record_update(project, fields, actor=actor)
    return project


@transaction.atomic
def project_from_template(
    *, template: ProjectTemplate, name: str, start_date: date | None = None, actor=None, **fields
) -> Project:
    """A new project planned from the template (within the plan's limit)."""  # fmt: skip
    project = project_create(name=name, start_date=start_date, actor=actor, **fields)
    return template_apply(project=project, template=template, start_date=start_date,
                          actor=actor)  # fmt: skip
