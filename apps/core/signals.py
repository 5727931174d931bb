"""Celery signal receivers: logs of a task carry its tenant schema and task id."""

from celery.signals import task_postrun, task_prerun
from django.db import connection

from apps.core.context import request_id_var, tenant_var

_tokens: dict = {}


@task_prerun.connect(weak=False)
def _set_task_log_context(task_id=None, task=None, **kwargs):
    _tokens[task_id] = (
        request_id_var.set(f"task_{task_id}"),
        tenant_var.set(connection.schema_name),
    )


@task_postrun.connect(weak=False)
def _reset_task_log_context(task_id=None, **kwargs):
    tokens = _tokens.pop(task_id, None)
    if tokens:
        request_id_var.reset(tokens[0])
        tenant_var.reset(tokens[1])
