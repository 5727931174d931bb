"""Notifications: in the app (a list per person, unread until marked read) and by email, when
a task is assigned to someone, when a comment @mentions them, and when their task is due soon
(the daily run, apps.projects.tasks: one notice per task, person and due date)."""

from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils import timezone

from apps.core.kit.writes import record_create, record_update
from apps.identity.models import User
from apps.projects.constants import DUE_SOON_DAYS, MAX_DUE_SOON_PER_RUN
from apps.projects.models import Comment, Notification, Task
from apps.projects.services.access import user_of

__all__ = ["due_soon_notify", "notification_read", "notifications_read_all", "notify_assigned",
           "notify_mentioned"]  # fmt: skip

Kind = Notification.Kind
#: Notifications one "mark all read" marks at most.
MAX_READ_AT_ONCE = 500


def _name(user: User | None) -> str:
    return (user.get_full_name() or user.get_username()) if user else "Someone"


def _mail(notification: Notification) -> None:
    address = notification.user.email
    if not address:
        return
    link = reverse("projects:task", args=[notification.task_id])
    body = (f"{notification.message}\n\nTask: {notification.task.title}\n"
            f"Open it in Project Management: {link}\n")  # fmt: skip
    subject = f"[Projects] {notification.message}"[:200]
    transaction.on_commit(lambda: send_mail(subject, body, None, [address], fail_silently=True))


def _send(*, user: User, kind: str, task: Task, message: str, actor=None,
          **fields) -> Notification:  # fmt: skip
    notification = record_create(
        Notification(user=user, kind=kind, task=task, actor=user_of(actor),
                     message=message[:500], emailed=bool(user.email), **fields),
        actor=actor,
    )  # fmt: skip
    _mail(notification)
    return notification


def _wants(user: User | None, actor) -> bool:
    """Someone else's doing is news; one's own is not."""
    acting = user_of(actor)
    return user is not None and user.is_active and (acting is None or acting.pk != user.pk)


def notify_assigned(*, task: Task, actor=None) -> Notification | None:
    """Tell the task's assignee it is theirs now (not when they took it themselves)."""
    if not _wants(task.assignee, actor):
        return None
    who = _name(user_of(actor)) if user_of(actor) else "The system"
    return _send(user=task.assignee, kind=Kind.ASSIGNED, task=task, actor=actor,
                 message=f"{who} assigned you “{task.title}”")  # fmt: skip


def notify_mentioned(*, comment: Comment, users, actor=None) -> list[Notification]:
    """Tell each person newly @mentioned in the comment (not its writer)."""
    sent = []
    for user in users:
        if _wants(user, actor):
            sent.append(_send(user=user, kind=Kind.MENTIONED, task=comment.task, comment=comment,
                              actor=actor, message=f"{_name(comment.author)} mentioned you on "
                              f"“{comment.task.title}”"))  # fmt: skip
    return sent


def due_soon_notify(*, today: date | None = None) -> int:
    """One "due soon" notice to the assignee of every open task due within DUE_SOON_DAYS
    (overdue ones not again): idempotent, a task, person and due date get one notice whatever
    the number of runs (the database's unique constraint holds it under concurrent runs too).
    Answers how many were sent."""
    today = today or timezone.localdate()
    sent_before = Notification.objects.filter(task=OuterRef("pk"), kind=Kind.DUE_SOON,
                                              user=OuterRef("assignee"),
                                              due_date=OuterRef("due_date"))  # fmt: skip
    tasks = (
        Task.objects.filter(due_date__gte=today,
                            due_date__lte=today + timedelta(days=DUE_SOON_DAYS),
                            column__is_done=False, assignee__isnull=False,
                            assignee__is_active=True)
        .exclude(Exists(sent_before))
        .select_related("assignee")
        .order_by("due_date", "pk")[:MAX_DUE_SOON_PER_RUN]
    )  # fmt: skip
    sent = 0
    for task in tasks:
        days = (task.due_date - today).days
        when = "today" if days == 0 else "tomorrow" if days == 1 else f"in {days} days"
        try:
            with transaction.atomic():
                _send(user=task.assignee, kind=Kind.DUE_SOON, task=task, due_date=task.due_date,
                      message=f"“{task.title}” is due {when} ({task.due_date:%d %b})")  # fmt: skip
        except (IntegrityError, ValidationError):  # another run sent it meanwhile
            continue
        sent += 1
    return sent


@transaction.atomic
def notification_read(*, notification: Notification, actor=None) -> Notification:
    """Mark one's notification read (again: nothing changes)."""
    if notification.read_at is None:
        record_update(notification, {"read_at": timezone.now()}, actor=actor)
    return notification


@transaction.atomic
def notifications_read_all(*, user: User, actor=None) -> int:
    """Mark the unread notifications of `user` read (at most MAX_READ_AT_ONCE, the oldest
    stay for the next call); answers how many."""
    now = timezone.now()
    unread = Notification.objects.select_for_update().filter(user=user, read_at__isnull=True)
    count = 0
    for notification in unread.order_by("pk")[:MAX_READ_AT_ONCE]:
        record_update(notification, {"read_at": now}, actor=actor)
        count += 1
    return count
