"""Time logs: hours worked on a task, on the day the work was done."""

from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from apps.core.kit.writes import record_create, record_delete, record_update
from apps.identity.models import User
from apps.projects.models import ProjectMember, Task, TimeLog
from apps.projects.selectors import is_admin
from apps.projects.services.access import ensure_sees, user_of

__all__ = ["time_log_create", "time_log_delete", "time_log_update"]


def _ensure_day(work_date: date) -> None:
    if work_date > timezone.localdate() + timedelta(days=1):
        raise ValidationError({"work_date": "Time is logged for work done, not ahead."})


def _ensure_may_log(*, task: Task, user: User, actor) -> None:
    """The person works on the project; logging for someone else takes a project manager."""
    if not (user.is_superuser or ProjectMember.objects.filter(project=task.project_id,
                                                              user=user).exists()):  # fmt: skip
        raise ValidationError({"user": f"{user.get_username()} is not a member of the project."})
    acting = user_of(actor)
    if acting is None or acting.pk == user.pk or is_admin(acting):
        return
    if not ProjectMember.objects.filter(project=task.project_id, user=acting,
                                        role="manager").exists():  # fmt: skip
        raise ValidationError({"user": "Only a project manager logs time for someone else."})


@transaction.atomic
def time_log_create(*, task: Task, hours, work_date: date | None = None, user: User | None = None,
                    actor=None, **fields) -> TimeLog:  # fmt: skip
    """Log `hours` on `task` for `user` (default: the actor) on `work_date` (default: today)."""
    ensure_sees(actor, task, "task")
    user = user or user_of(actor)
    if user is None:
        raise ValidationError({"user": "Say whose time it is."})
    work_date = work_date or timezone.localdate()
    _ensure_day(work_date)
    _ensure_may_log(task=task, user=user, actor=actor)
    return record_create(TimeLog(task=task, user=user, hours=hours, work_date=work_date,
                                 **fields), actor=actor)  # fmt: skip


@transaction.atomic
def time_log_update(*, time_log: TimeLog, actor=None, **fields) -> TimeLog:
    if "task" in fields and fields["task"].project_id != time_log.task.project_id:
        raise ValidationError({"task": "Time stays in its project."})
    if "task" in fields:
        ensure_sees(actor, fields["task"], "task")
    if "user" in fields:
        _ensure_may_log(task=time_log.task, user=fields["user"], actor=actor)
    if "work_date" in fields:
        _ensure_day(fields["work_date"])
    record_update(time_log, fields, actor=actor)
    return time_log


@transaction.atomic
def time_log_delete(*, time_log: TimeLog, actor=None) -> None:
    record_delete(time_log, actor=actor)
