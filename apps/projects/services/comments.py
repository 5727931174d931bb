"""Comments on tasks, with @mentions of the project's people."""

import re

from django.db import transaction
from django.db.models import Q

from apps.core.audit import audit_record
from apps.core.kit.writes import record_create, record_delete, record_update
from apps.identity.models import User
from apps.projects.models import Comment, Task
from apps.projects.services.access import ensure_sees, user_of
from apps.projects.services.notifications import notify_mentioned

__all__ = ["comment_create", "comment_delete", "comment_update", "mentioned_users"]

MENTION = re.compile(r"(?<![\w@.])@([\w.+-]{1,150})")
MAX_MENTIONS = 20


def mentioned_users(task: Task, body: str) -> list[User]:
    """The members of the task's project (or super admins) @mentioned in `body`, by username."""
    names = list(dict.fromkeys(m.rstrip(".") for m in MENTION.findall(body or "")))[:MAX_MENTIONS]
    if not names:
        return []
    return list(
        User.objects.filter(username__in=names, is_active=True)
        .filter(Q(project_memberships__project=task.project_id) | Q(is_superuser=True))
        .distinct()
        .order_by("username")
    )


def _mention(comment: Comment, *, actor) -> None:
    users = mentioned_users(comment.task, comment.body)
    before = sorted(comment.mentions.values_list("username", flat=True))
    comment.mentions.set(users)
    after = sorted(user.username for user in users)
    notify_mentioned(comment=comment, users=[u for u in users if u.username not in before],
                     actor=actor)  # fmt: skip
    if before != after:
        audit_record(action="mention", instance=comment, changes={"mentions": [before, after]},
                     actor=actor)  # fmt: skip


@transaction.atomic
def comment_create(*, task: Task, body: str, actor=None) -> Comment:
    ensure_sees(actor, task, "task")
    comment = record_create(Comment(task=task, body=body, author=user_of(actor)), actor=actor)
    _mention(comment, actor=actor)
    return comment


@transaction.atomic
def comment_update(*, comment: Comment, actor=None, **fields) -> Comment:
    fields.pop("task", None)  # a comment stays on its task
    record_update(comment, fields, actor=actor)
    _mention(comment, actor=actor)
    return comment


@transaction.atomic
def comment_delete(*, comment: Comment, actor=None) -> None:
    record_delete(comment, actor=actor)
