"""Sending background work from a service: by the task's name, once the transaction commits.

A service sits below the tasks that wrap it (tasks call services), so it does not import them;
it names the task (`dispatch("tenants.provision", tenant.pk)`). The tenant-aware Celery app
sends it from, and so into, the current schema (DESIGN.md §6). `countdown` delays it (a retry's
back-off). Tests that only want to know what was sent replace `send`.
"""

from celery import current_app
from django.db import transaction

__all__ = ["dispatch", "send"]


def send(
    task_name: str, args: tuple, task_id: str | None = None, countdown: float | None = None
) -> None:
    current_app.send_task(task_name, args=args, task_id=task_id, countdown=countdown)


def dispatch(
    task_name: str, *args, task_id: str | None = None, countdown: float | None = None
) -> None:
    """Send `task_name(*args)` when the current transaction commits (at once outside one),
    `countdown` seconds later if given."""
    if countdown is None:
        transaction.on_commit(lambda: send(task_name, args, task_id))
    else:
        transaction.on_commit(lambda: send(task_name, args, task_id, countdown))
