"""Tasks: cards on a project's board, their moves, subtasks and finish-to-start dependencies.

Positions: the cards of a column sit at positions 0..n-1, one each (a deferred unique
constraint holds it at commit, and the services check it at once). Every write that changes a
column's cards (create, move, delete) first locks the column rows it touches, in primary-key
order, so that concurrent moves queue instead of interleaving, and cannot deadlock.

Dependencies: `depends_on` lists the tasks that must finish before a task starts. A list that
would close a cycle is refused naming it; when a task's dates slip (its due date moves later),
its dependants that would now start before it finishes are shifted later by as much, and theirs
in turn (bounded by MAX_SHIFTED).
"""

from collections import defaultdict, deque
from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Case, F, Func, Q, Subquery, Value, When
from django.utils import timezone

from apps.core.audit import audit_updated, snapshot
from apps.core.exceptions import ConflictError
from apps.core.kit.writes import record_create, record_delete, record_update
from apps.projects.constants import MAX_DEPENDENCIES, MAX_LABELS, MAX_SHIFTED
from apps.projects.models import Column, Project, ProjectMember, Task, TaskDependency
from apps.projects.services import links
from apps.projects.services.access import ensure_sees, user_of
from apps.projects.services.notifications import notify_assigned

__all__ = [
    "dependencies_set", "normalise_labels", "task_create", "task_delete", "task_move",
    "task_update",
]  # fmt: skip


def normalise_labels(labels) -> list[str]:
    seen: list[str] = []
    for label in labels or []:
        label = str(label).strip().lower()[:40]
        if label and label not in seen:
            seen.append(label)
    if len(seen) > MAX_LABELS:
        raise ValidationError({"labels": f"At most {MAX_LABELS} labels."})
    return seen


def _lock_columns(*column_ids: int) -> dict[int, Column]:
    """Lock the columns' rows in primary-key order (the one order every writer uses)."""
    ids = sorted(set(column_ids))
    return {c.pk: c for c in Column.objects.select_for_update().filter(pk__in=ids).order_by("pk")}


def _check_positions() -> None:
    """The one-card-per-position constraint, checked now rather than at commit."""
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS projects_task_column_position IMMEDIATE; "
                       "SET CONSTRAINTS projects_task_column_position DEFERRED")  # fmt: skip


def _ensure_room(column: Column, *, count: int | None = None) -> None:
    """Refuse a card more in a column at its WIP limit (`count`: its cards, when known)."""
    if column.wip_limit is None:
        return
    if (column.tasks.count() if count is None else count) >= column.wip_limit:
        raise ConflictError(
            f'"{column.name}" is at its WIP limit ({column.wip_limit}); finish a task first.',
            [{"field": "column", "message": f"WIP limit {column.wip_limit} reached"}],
        )


def _ensure_related(*, project: Project, fields: dict, actor) -> None:
    """The column, milestone and parent named are the project's; the assignee works on it."""
    for name in ("column", "milestone", "parent"):
        value = fields.get(name)
        if value is not None and value.project_id != project.pk:
            raise ValidationError({name: f"That {name} belongs to another project."})
    assignee = fields.get("assignee")
    if assignee is not None and not (
        assignee.is_superuser
        or ProjectMember.objects.filter(project=project, user=assignee).exists()
    ):
        raise ValidationError({"assignee": f"{assignee.get_username()} is not a member of the "
                                           "project."})  # fmt: skip


def _completion(column: Column, task: Task) -> dict:
    if column.is_done and task.completed_at is None:
        return {"completed_at": timezone.now()}
    if not column.is_done and task.completed_at is not None:
        return {"completed_at": None}
    return {}


@transaction.atomic
def task_create(*, project: Project, title: str, column: Column | None = None,
                depends_on: list[Task] | None = None, actor=None, **fields) -> Task:  # fmt: skip
    """A new card at the bottom of `column` (default: the board's first column)."""
    ensure_sees(actor, project, "project")
    column = column or project.columns.order_by("position", "id").first()
    if column is None:
        raise ValidationError({"column": "The project's board has no columns; add one first."})
    _ensure_related(project=project, fields={"column": column, **fields}, actor=actor)
    if "labels" in fields:
        fields["labels"] = normalise_labels(fields["labels"])
    column = _lock_columns(column.pk)[column.pk]
    _ensure_room(column)
    task = Task(project=project, column=column, title=title, position=column.tasks.count(),
                created_by=user_of(actor), **fields)  # fmt: skip
    task.completed_at = timezone.now() if column.is_done else None
    record_create(task, actor=actor)
    _check_positions()
    notify_assigned(task=task, actor=actor)
    if depends_on:
        dependencies_set(task=task, depends_on=depends_on, actor=actor)
    return task


@transaction.atomic
def task_update(*, task: Task, actor=None, depends_on: list[Task] | None = None,
                **fields) -> Task:  # fmt: skip
    """Change a task's fields (its column and position change by a move); `depends_on`
    replaces its dependencies. A due date moved later shifts the dependants."""
    fields.pop("project", None)
    if "column" in fields:
        column = fields.pop("column")
        if column is not None and column.pk != task.column_id:
            raise ValidationError({"column": "Move the task to change its column (move)."})
    task = Task.objects.select_for_update().get(pk=task.pk)
    _ensure_related(project=task.project, fields=fields, actor=actor)
    if "labels" in fields:
        fields["labels"] = normalise_labels(fields["labels"])
    if "parent" in fields and fields["parent"] is not None:
        _ensure_not_own_ancestor(task, fields["parent"])
    before, assignee = _finish(task), task.assignee_id
    record_update(task, fields, actor=actor)
    if task.assignee_id != assignee:
        notify_assigned(task=task, actor=actor)
    if depends_on is not None:
        dependencies_set(task=task, depends_on=depends_on, actor=actor)
        if depends_on:  # it may now start before what it waits for is finished
            task = shift_dependants(task=task, actor=actor, including_itself=True)[0] or task
    after = _finish(task)
    if before is not None and after is not None and after > before:
        shift_dependants(task=task, actor=actor)
    return task


def _ensure_not_own_ancestor(task: Task, parent: Task) -> None:
    seen, current = 0, parent
    while current is not None and seen <= MAX_SHIFTED:
        if current.pk == task.pk:
            raise ValidationError({"parent": "A task cannot be a subtask of itself or of its "
                                             "own subtasks."})  # fmt: skip
        current, seen = current.parent, seen + 1


@transaction.atomic
def task_delete(*, task: Task, actor=None) -> None:
    """Delete a task (one with subtasks or logged time is refused); the cards below it in its
    column move up one."""
    column = _lock_columns(task.column_id)[task.column_id]
    task = Task.objects.select_for_update().get(pk=task.pk)
    position = task.position
    record_delete(task, actor=actor)
    column.tasks.filter(position__gt=position).update(position=F("position") - 1)
    _check_positions()


# --- Moves on the board ----------------------------------------------------------------------


@transaction.atomic
def task_move(*, task: Task, column: Column, position: int | None = None, actor=None) -> Task:
    """Put a card in `column` at `position` (0 = top; beyond the end, or none: the bottom),
    the cards after it making room, those of the column it left closing the gap. A done column
    completes the task. Refused when the column belongs to another project or is at its WIP
    limit; 409 when someone moved the same card meanwhile (reload and try again)."""
    if column.project_id != task.project_id:
        raise ValidationError({"column": "That column belongs to another project."})
    if position is not None and position < 0:
        raise ValidationError({"position": "Ensure this value is greater than or equal to 0."})
    locked = _lock_columns(task.column_id, column.pk)
    # the target's cards counted in the same statement: it starts once both columns are locked,
    # and every writer of a column's cards holds its lock, so the count is the current one
    cards = Task.objects.filter(column_id=column.pk).order_by()
    size = Subquery(cards.annotate(n=Func("pk", function="COUNT")).values("n"))
    task = Task.objects.select_for_update().annotate(target_size=size).get(pk=task.pk)
    if task.column_id not in locked:
        raise ConflictError("The task was moved by someone else meanwhile; reload the board.")
    source, target = locked[task.column_id], locked[column.pk]
    old, size = task.position, task.target_size
    if source.pk == target.pk:
        last = size - 1
        new = last if position is None else min(position, last)
        if new == old:
            return task
        if new < old:
            target.tasks.filter(position__gte=new, position__lt=old).update(
                position=F("position") + 1)  # fmt: skip
        else:
            target.tasks.filter(position__gt=old, position__lte=new).update(
                position=F("position") - 1)  # fmt: skip
    else:
        _ensure_room(target, count=size)  # the card is not in it yet
        new = size if position is None else min(position, size)
        # one statement: the cards below it in the source move up, those from `new` down
        Task.objects.filter(
            Q(column_id=source.pk, position__gt=old) | Q(column_id=target.pk, position__gte=new)
        ).update(position=F("position") + Case(When(column_id=source.pk, then=Value(-1)),
                                               default=Value(1)))  # fmt: skip
    completion = _completion(target, task)
    _save_move(task, {"column": target, "position": new, **completion}, actor)
    _check_positions()
    if completion.get("completed_at"):
        links.task_completed(task, actor=actor)  # lead-to-cash: the final milestone
    return task


def _save_move(task: Task, fields: dict, actor) -> None:
    """Save and record the move's columns. Not `record_update`: its full_clean would check
    again, with a query each, that the project and column exist and that the position is free
    (it is, at commit: the deferred constraint) — six queries on the path of every drag, for
    values this service has just locked and computed itself."""
    before = snapshot(task, fields=list(fields))
    for name, value in fields.items():
        setattr(task, name, value)
    task.save(update_fields=[*fields, "updated_at"])
    audit_updated(task, before, actor=actor, action="move")


# --- Dependencies -------------------------------------------------------------------------------


def _edges(project_id: int) -> dict[int, set[int]]:
    """task id → the ids it depends on, for the whole project (one query)."""
    edges: dict[int, set[int]] = defaultdict(set)
    rows = TaskDependency.objects.filter(task__project_id=project_id).values_list(
        "task_id", "depends_on_id")  # fmt: skip
    for task_id, depends_on_id in rows:
        edges[task_id].add(depends_on_id)
    return edges


def _path(edges: dict[int, set[int]], start: int, goal: int) -> list[int] | None:
    """A path start → … → goal following depends_on edges (breadth first), or None."""
    came_from = {start: None}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        if node == goal:
            path = []
            while node is not None:
                path.append(node)
                node = came_from[node]
            return path[::-1]
        for nxt in sorted(edges.get(node, ())):
            if nxt not in came_from:
                came_from[nxt] = node
                queue.append(nxt)
    return None


@transaction.atomic
def dependencies_set(*, task: Task, depends_on: list[Task], actor=None) -> Task:
    """Replace the tasks `task` depends on (finish-to-start). Each must be of the same project
    and seen by the actor; one that (through others) already depends on `task` closes a cycle,
    refused naming it: `#3 Splice → #5 Test → #3 Splice`."""
    wanted = {dep.pk: dep for dep in depends_on}
    if len(wanted) > MAX_DEPENDENCIES:
        raise ValidationError({"depends_on": f"At most {MAX_DEPENDENCIES} dependencies."})
    for dep in wanted.values():
        ensure_sees(actor, dep, "depends_on")
        if dep.project_id != task.project_id:
            raise ValidationError({"depends_on": f"#{dep.pk} {dep.title} is in another project."})
        if dep.pk == task.pk:
            raise ValidationError({"depends_on": "A task cannot depend on itself."})
    # one writer of a project's dependency graph at a time: two edits could close a cycle
    # neither sees alone
    Project.objects.select_for_update().filter(pk=task.project_id).first()
    edges = _edges(task.project_id)
    current = set(edges.get(task.pk, set()))
    edges[task.pk] = set(wanted)
    for dep_id in sorted(wanted):
        cycle = _path(edges, dep_id, task.pk)
        if cycle is not None:
            names = dict(Task.objects.filter(pk__in=cycle).values_list("pk", "title"))
            chain = [task.pk, *cycle]
            text = " → ".join(f"#{pk} {names.get(pk, '')}".strip() for pk in chain)
            raise ValidationError({"depends_on": f"That would make a dependency cycle: {text}."})
    for removed in TaskDependency.objects.filter(task=task).exclude(depends_on_id__in=wanted):
        record_delete(removed, actor=actor)
    for dep_id in sorted(set(wanted) - current):
        record_create(TaskDependency(task=task, depends_on=wanted[dep_id]), actor=actor)
    return task


def _finish(task: Task) -> date | None:
    return task.due_date or task.start_date


def shift_dependants(*, task: Task, actor=None, including_itself: bool = False) -> list:
    """After `task` slipped: each dependant that would start before all it depends on are
    finished starts the day after the latest of them, keeping its duration; then its own
    dependants, breadth first. Never moves a task earlier. Answers the tasks shifted; with
    `including_itself` (its dependencies changed), `task` is checked first and the answer
    starts with it as it is now (None: not shifted)."""
    edges = _edges(task.project_id)
    dependants: dict[int, set[int]] = defaultdict(set)
    for node, deps in edges.items():
        for dep in deps:
            dependants[dep].add(node)
    tasks = {t.pk: t for t in Task.objects.filter(project_id=task.project_id).only(
        "pk", "title", "start_date", "due_date", "project_id")}  # fmt: skip
    tasks[task.pk] = task
    shifted: list[Task] = []
    queue = deque([task.pk] if including_itself else sorted(dependants.get(task.pk, ())))
    while queue and len(shifted) < MAX_SHIFTED:
        node = tasks[queue.popleft()]
        finishes = [_finish(tasks[dep]) for dep in edges.get(node.pk, ())]
        finishes = [day for day in finishes if day is not None]
        if not finishes or (node.start_date is None and node.due_date is None):
            continue
        earliest = max(finishes) + timedelta(days=1)
        begins = node.start_date or node.due_date
        if begins >= earliest:
            continue
        delta = earliest - begins
        fields = {"start_date": node.start_date and node.start_date + delta,
                  "due_date": node.due_date and node.due_date + delta}  # fmt: skip
        locked = Task.objects.select_for_update().get(pk=node.pk)
        record_update(locked, fields, actor=actor, action="shift")
        tasks[node.pk] = locked
        shifted.append(locked)
        queue.extend(sorted(dependants.get(node.pk, ())))
    if including_itself:
        itself = next((t for t in shifted if t.pk == task.pk), None)
        return [itself, *(t for t in shifted if t.pk != task.pk)]
    return shifted
