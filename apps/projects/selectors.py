"""Reads reused by the API, the pages, the admin and the party directory.

Who sees what is decided here and only here (`visible`), the restriction hook of the API's
viewsets and of the pages (apps.core.api.viewsets.BaseViewSet.restrict):
- a project is seen by its members and edited (and deleted) by its project managers: object
  permissions granted with the membership (apps.identity.objects); whoever holds the model-wide
  permission (the tenant's super admin, the "Projects Admin" role) sees and edits every one;
- what belongs to a project (columns, milestones, tasks, time logs, comments) is seen by whoever
  sees the project. Members change tasks (and move them); the plan (columns, milestones) and
  deleting a task take a project manager; a time log or a comment is changed by its writer or
  a project manager.
Anything else is a 404, like a row that does not exist.
"""

from decimal import Decimal

from django.contrib.postgres.expressions import ArraySubquery
from django.db.models import (
    Count,
    DecimalField,
    F,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce

from apps.identity.objects import objects_visible_to
from apps.projects.models import (
    ChecklistItem,
    Column,
    Comment,
    Milestone,
    Notification,
    Project,
    ProjectMember,
    Task,
    TaskAttachment,
    TaskDependency,
    TimeLog,
)

HOURS = DecimalField(max_digits=12, decimal_places=2)
ZERO_HOURS = Value(Decimal("0"), output_field=HOURS)

#: model name → (what it needs on its project for view, change, delete; "own": its writer).
CHILD_RULES = {
    "column": {"view": "view", "change": "change", "delete": "change"},
    "milestone": {"view": "view", "change": "change", "delete": "change"},
    "task": {"view": "view", "change": "view", "delete": "change"},
    "timelog": {"view": "view", "change": "own", "delete": "own"},
    "comment": {"view": "view", "change": "own", "delete": "own"},
    "projectmember": {"view": "view", "change": "change", "delete": "change"},
    "checklistitem": {"view": "view", "change": "view", "delete": "view"},
    "taskattachment": {"view": "view", "change": "own", "delete": "own"},
}
WRITER = {"timelog": "user", "comment": "author", "taskattachment": "uploaded_by"}
#: Rows that belong to a project through their task.
ON_A_TASK = ("timelog", "comment", "checklistitem", "taskattachment")


def is_admin(user) -> bool:
    """Sees and edits every project: super admin, or the model-wide permission (a role)."""
    return bool(user.is_active and user.has_perm("projects.change_project"))


def projects_for(user, action: str = "view") -> QuerySet:
    """The projects `user` may `action`: those granted (members, managers), all for an admin."""
    if not user.is_authenticated or not user.is_active:
        return Project.objects.none()
    return objects_visible_to(user, Project.objects.all(), action)


def visible(queryset: QuerySet, user, action: str = "view") -> QuerySet:
    """The rows of `queryset` that `user` may `action` ("view", "change", "delete")."""
    if not user.is_authenticated or not user.is_active:
        return queryset.none()
    name = queryset.model._meta.model_name
    if name == "notification":  # one's own, about tasks one still sees
        return queryset.filter(user=user).filter(
            task__project__in=projects_for(user, "view").values("pk")
        )
    if name == "project":
        if user.has_perm(f"projects.{action}_project"):
            return queryset
        return queryset.filter(pk__in=projects_for(user, action).values("pk"))
    rules = CHILD_RULES.get(name)
    if rules is None:  # templates: the whole area's
        return queryset
    needed = rules.get(action, "change")
    project_field = "task__project" if name in ON_A_TASK else "project"
    if needed == "own":
        if is_admin(user):
            return queryset
        managed = projects_for(user, "change").values("pk")
        return queryset.filter(
            Q(**{WRITER[name]: user}) | Q(**{f"{project_field}__in": managed})
        ).filter(**{f"{project_field}__in": projects_for(user, "view").values("pk")})
    if user.has_perm(f"projects.{needed}_project"):
        return queryset
    return queryset.filter(**{f"{project_field}__in": projects_for(user, needed).values("pk")})


def implied_by_view(model, action: str) -> bool:
    """Whether `visible(queryset of model, user, action)` is, for every user, the same rows as
    `visible(..., "view")`: a task's "change" (any member may move a card) is its "view"."""
    name = model._meta.model_name
    if name == "notification":  # visible does not look at the action
        return True
    if name == "project":
        return action == "view"
    rules = CHILD_RULES.get(name)
    if rules is None:  # templates: visible does not look at the action
        return True
    return rules.get(action, "change") == rules["view"]


def can(user, obj, action: str) -> bool:
    return visible(type(obj)._default_manager.filter(pk=obj.pk), user, action).exists()


# --- Rows as the API and pages show them --------------------------------------------------------


def _logged(filter_field: str):
    """Hours logged, summed by a subquery (one query per list, whatever its length)."""
    logs = (
        TimeLog.objects.filter(**{filter_field: OuterRef("pk")})
        .order_by()
        .values(filter_field)
        .annotate(total=Sum("hours"))
        .values("total")
    )
    return Coalesce(Subquery(logs, output_field=HOURS), ZERO_HOURS)


def project_rows() -> QuerySet:
    members = ProjectMember.objects.select_related("user").order_by("role", "user__username")
    tasks = Task.objects.filter(project=OuterRef("pk")).order_by().values("project")
    return Project.objects.prefetch_related(Prefetch("members", queryset=members)).annotate(
        task_count=Coalesce(Subquery(tasks.annotate(n=Count("pk")).values("n")), 0),
        done_count=Coalesce(
            Subquery(tasks.filter(column__is_done=True).annotate(n=Count("pk")).values("n")), 0
        ),
        estimate_hours=Coalesce(
            Subquery(tasks.annotate(h=Sum("estimate_hours")).values("h"), output_field=HOURS),
            ZERO_HOURS,
        ),
        logged_hours=_logged("task__project"),
    )


def task_rows() -> QuerySet:
    dependencies = TaskDependency.objects.filter(task=OuterRef("pk")).order_by("depends_on_id")
    return Task.objects.select_related("column", "assignee", "project").annotate(
        logged_hours=_logged("task"),
        depends_on_ids=ArraySubquery(dependencies.values("depends_on_id")),
    )


def milestone_rows() -> QuerySet:
    return Milestone.objects.select_related("project").annotate(
        task_count=Count("tasks", distinct=True),
        open_count=Count("tasks", filter=Q(tasks__column__is_done=False), distinct=True),
    ).order_by("due_date", "id")  # fmt: skip


def column_rows() -> QuerySet:
    return (
        Column.objects.select_related("project")
        .annotate(task_count=Count("tasks"))
        .order_by("project", "position", "id")  # Meta.ordering does not apply to a GROUP BY
    )


def time_log_rows() -> QuerySet:
    return TimeLog.objects.select_related("task", "user", "task__project")


def comment_rows() -> QuerySet:
    return Comment.objects.select_related("author", "task").prefetch_related("mentions")


def checklist_rows() -> QuerySet:
    return ChecklistItem.objects.select_related("done_by")


def attachment_rows() -> QuerySet:
    return TaskAttachment.objects.select_related("uploaded_by")


def notification_rows() -> QuerySet:
    return Notification.objects.select_related("task")


def unread_count(user) -> int:
    return visible(Notification.objects.all(), user).filter(read_at__isnull=True).count()


def member_rows(project: Project) -> QuerySet:
    return project.members.select_related("user").order_by("role", "user__username")


# --- The board, totals and "my tasks" -----------------------------------------------------------


def board(project: Project, *, assignee=None) -> list[dict]:
    """The board of a project: each column (in order) with its cards (in order), in two
    queries whatever the number of tasks."""
    columns = list(project.columns.order_by("position", "id"))
    tasks = task_rows().filter(project=project).order_by("position", "id")
    if assignee is not None:
        tasks = tasks.filter(assignee=assignee)
    by_column: dict[int, list[Task]] = {column.pk: [] for column in columns}
    for task in tasks:
        by_column.setdefault(task.column_id, []).append(task)
    return [
        {
            "column": column,
            "cards": by_column[column.pk],
            "count": len(by_column[column.pk]),
            "over_limit": bool(column.wip_limit and len(by_column[column.pk]) > column.wip_limit),
            "at_limit": bool(column.wip_limit and len(by_column[column.pk]) >= column.wip_limit),
        }
        for column in columns
    ]


def hours_by_person(project: Project) -> list[dict]:
    """Hours logged on the project per person (billable and amount too), most first."""
    rows = (
        TimeLog.objects.filter(task__project=project)
        .values("user_id", username=F("user__username"))
        .annotate(
            total=Sum("hours"),
            billable_hours=Coalesce(Sum("hours", filter=Q(billable=True)), ZERO_HOURS),
            amount=Coalesce(
                Sum(F("hours") * F("rate"), filter=Q(billable=True), output_field=HOURS),
                ZERO_HOURS,
            ),
        )
        .order_by("-total", "username")
    )
    return [{**row, "hours": row.pop("total")} for row in rows]


def project_totals(project: Project) -> dict:
    """Estimate against actual and against the budget, for the project page and the API."""
    tasks = Task.objects.filter(project=project).aggregate(
        estimate=Coalesce(Sum("estimate_hours"), ZERO_HOURS), count=Count("pk"),
        done=Count("pk", filter=Q(column__is_done=True)),
    )  # fmt: skip
    logs = TimeLog.objects.filter(task__project=project).aggregate(
        logged=Coalesce(Sum("hours"), ZERO_HOURS),
        billable_total=Coalesce(Sum("hours", filter=Q(billable=True)), ZERO_HOURS),
        amount_total=Coalesce(
            Sum(F("hours") * F("rate"), filter=Q(billable=True), output_field=HOURS), ZERO_HOURS
        ),
    )
    return {
        "task_count": tasks["count"],
        "done_count": tasks["done"],
        "estimate_hours": tasks["estimate"],
        "logged_hours": logs["logged"],
        "billable_hours": logs["billable_total"],
        "billable_amount": logs["amount_total"].quantize(Decimal("0.01")),
        "variance_hours": logs["logged"] - tasks["estimate"],
        "budget_hours": project.budget_hours,
        "budget_hours_left": (
            None if project.budget_hours is None else project.budget_hours - logs["logged"]
        ),
        "budget_amount": project.budget_amount,
        "budget_amount_left": project.budget_amount
        - logs["amount_total"].quantize(Decimal("0.01")),
    }


def my_tasks(user) -> QuerySet:
    """The user's open tasks across the projects they see, soonest due first."""
    return (
        visible(task_rows(), user)
        .filter(assignee=user, column__is_done=False)
        .order_by(F("due_date").asc(nulls_last=True), "project__name", "id")
    )
