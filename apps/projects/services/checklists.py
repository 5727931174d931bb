"""A task's checklist: steps with a done flag, in order. Whoever may change the task (its
project's members) ticks them off and edits them."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from apps.core.audit import audit_record
from apps.core.kit.writes import record_create, record_delete, record_update
from apps.projects.constants import MAX_CHECKLIST_ITEMS
from apps.projects.models import ChecklistItem, Task
from apps.projects.services.access import ensure_sees, user_of

__all__ = ["checklist_item_create", "checklist_item_delete", "checklist_item_update"]


def _done_fields(item: ChecklistItem, done: bool, actor) -> dict:
    if done == item.done:
        return {}
    return {"done": done, "done_at": timezone.now() if done else None,
            "done_by": user_of(actor) if done else None}  # fmt: skip


def _place(item: ChecklistItem, position: int) -> None:
    """Put the step at `position` (0 = top; past the end: last), the others renumbered 0..n-1
    around it (a checklist is short: MAX_CHECKLIST_ITEMS)."""
    steps = [s for s in item.task.checklist.order_by("position", "id") if s.pk != item.pk]
    steps.insert(max(0, min(position, len(steps))), item)
    for index, step in enumerate(steps):
        if step.position != index or step.pk == item.pk:
            step.position = index
    ChecklistItem.objects.bulk_update([s for s in steps if s.pk], ["position"])


@transaction.atomic
def checklist_item_create(*, task: Task, text: str, done: bool = False,
                          position: int | None = None, actor=None) -> ChecklistItem:  # fmt: skip
    """A new step at the end of the task's checklist (or at `position`)."""
    ensure_sees(actor, task, "task")
    task = Task.objects.select_for_update().get(pk=task.pk)  # one writer of its list at a time
    if task.checklist.count() >= MAX_CHECKLIST_ITEMS:
        raise ValidationError({"task": f"A checklist has at most {MAX_CHECKLIST_ITEMS} steps."})
    last = task.checklist.aggregate(last=Max("position"))["last"]
    item = ChecklistItem(task=task, text=(text or "").strip(),
                         position=0 if last is None else last + 1)  # fmt: skip
    for name, value in _done_fields(item, done, actor).items():
        setattr(item, name, value)
    record_create(item, actor=actor)
    if position is not None and position < item.position:
        _place(item, position)
    return item


@transaction.atomic
def checklist_item_update(*, checklist_item: ChecklistItem, actor=None,
                          **fields) -> ChecklistItem:  # fmt: skip
    """Edit a step's text, tick it off (`done`), or move it to `position` (the others make
    room); it stays on its task."""
    fields.pop("task", None)
    if "done" in fields:
        fields.update(_done_fields(checklist_item, bool(fields.pop("done")), actor))
    if "text" in fields:
        fields["text"] = (fields["text"] or "").strip()
    position = fields.pop("position", None)
    record_update(checklist_item, fields, actor=actor)
    if position is not None and position != checklist_item.position:
        Task.objects.select_for_update().filter(pk=checklist_item.task_id).first()
        before = checklist_item.position
        _place(checklist_item, position)
        audit_record(action="update", instance=checklist_item,
                     changes={"position": [before, checklist_item.position]},
                     actor=actor)  # fmt: skip
    return checklist_item


@transaction.atomic
def checklist_item_delete(*, checklist_item: ChecklistItem, actor=None) -> None:
    record_delete(checklist_item, actor=actor)
