"""Celery signal receivers: logs of a task carry its tenant schema and task id, its writes
are audited as "task:<name>", and its run time counts for its tenant's usage (apps.core.usage,
under the app its name starts with).

Sign-ins (and refused ones) and password changes are audited here, from Django's signals: they
happen inside django.contrib.auth's own views and forms (login, admin password form, password
reset, invitation), with no service of ours in between to make the explicit call. A sign-in
also marks the user active today (the tenant's usage).
"""

import time

from celery.signals import task_postrun, task_prerun
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.db import connection
from django.db.models.signals import post_save
from django.dispatch import receiver

from apps.core import usage
from apps.core.audit import MASK, audit_record
from apps.core.context import (
    Actor,
    actor_var,
    ip_var,
    request_id_var,
    request_var,
    source_var,
    tenant_var,
)

_tokens: dict = {}
#: task id → (its schema, when it started): its run time is counted for the tenant's usage.
_started: dict = {}


@task_prerun.connect(weak=False)
def _set_task_log_context(task_id=None, task=None, **kwargs):
    name = getattr(task, "name", None) or "unknown"
    _started[task_id] = (connection.schema_name, time.monotonic())
    _tokens[task_id] = (
        (request_id_var, request_id_var.set(f"task_{task_id}")),
        (tenant_var, tenant_var.set(connection.schema_name)),
        (actor_var, actor_var.set(Actor(f"task:{name}", None, "task"))),
        (source_var, source_var.set("task")),
        # An eager task runs inside a request: its writes are still the task's.
        (request_var, request_var.set(None)),
        (ip_var, ip_var.set(None)),
    )


@task_postrun.connect(weak=False)
def _reset_task_log_context(task_id=None, task=None, **kwargs):
    started = _started.pop(task_id, None)
    if started is not None:
        schema, since = started
        usage.count_task(task_name=getattr(task, "name", None) or "unknown",
                         seconds=time.monotonic() - since, schema=schema)  # fmt: skip
    for var, token in reversed(_tokens.pop(task_id, ())):
        var.reset(token)


@receiver(user_logged_in, dispatch_uid="core.audit_login")
def _audit_login(sender, request=None, user=None, **kwargs):
    audit_record(action="login", instance=user, actor=user)
    usage.count_active_user(user_id=user.pk)


@receiver(user_login_failed, dispatch_uid="core.audit_login_failed")
def _audit_login_failed(sender, credentials=None, request=None, **kwargs):
    User = get_user_model()
    username = str((credentials or {}).get(User.USERNAME_FIELD, "") or "")[:150]
    audit_record(
        action="login_failed",
        object_type=User._meta.label_lower,
        object_repr=username,
        actor=Actor(username or "anonymous", None, "anonymous"),
    )


@receiver(post_save, sender=settings.AUTH_USER_MODEL, dispatch_uid="core.audit_password_change")
def _audit_password_change(sender, instance=None, created=False, **kwargs):
    # set_password() keeps the raw password in `_password` until the save completes: a save
    # that carries one changed the password. A creation is audited by the service creating it.
    if created or getattr(instance, "_password", None) is None:
        return

    audit_record(action="password_change", instance=instance, changes={"password": [MASK, MASK]})
