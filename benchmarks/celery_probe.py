"""Timestamps from inside a real Celery worker, for provisioning.py's end-to-end measurement.

provisioning.py starts `celery -A dotmac worker -I celery_probe` with benchmarks/ on PYTHONPATH
and BENCH_PROBE_FILE set. This module changes no behaviour of the worker: it appends one JSON
line (wall-clock `t`, comparable with the benchmark's own clock on the same machine) per task
event and per provisioning step to that file.

- `received`, `prerun`, `postrun`: Celery's task_received / task_prerun / task_postrun signals;
- `step`: after each `services._step(tenant, name)` (schema, initialisers, subscriptions, domain);
- `schema_create`: how the schema was made (spare / clone / migrate) and how long it took.
"""

import json
import os
import threading
import time

from celery import signals

PATH = os.environ.get("BENCH_PROBE_FILE")
_lock = threading.Lock()


def record(event: str, **fields) -> None:
    if not PATH:
        return
    line = json.dumps({"event": event, "t": time.time(), **fields}, default=str)
    with _lock, open(PATH, "a") as file:
        file.write(line + "\n")


def _first_arg(args):
    return args[0] if args else None


@signals.task_received.connect
def _received(sender=None, request=None, **_):
    record(
        "received",
        task=getattr(request, "name", None),
        task_id=getattr(request, "id", None),
        arg=_first_arg(getattr(request, "args", None)),
    )


@signals.task_prerun.connect
def _prerun(sender=None, task_id=None, task=None, args=None, **_):
    record("prerun", task=getattr(task, "name", None), task_id=task_id, arg=_first_arg(args))


@signals.task_postrun.connect
def _postrun(sender=None, task_id=None, task=None, args=None, retval=None, state=None, **_):
    record(
        "postrun",
        task=getattr(task, "name", None),
        task_id=task_id,
        arg=_first_arg(args),
        state=state,
        retval=retval,
    )


_patched = False


def _patch_provisioning() -> None:
    """Record each provisioning step from inside the worker (wrappers; the originals run)."""
    global _patched
    if _patched:
        return
    _patched = True
    from apps.platform.tenants import schemas, services

    original_step = services._step
    original_create = schemas.schema_create

    def _step(tenant, name):
        original_step(tenant, name)
        record("step", arg=tenant.pk, step=name)

    def schema_create(schema_name):
        started = time.perf_counter()
        how = original_create(schema_name)
        record("schema_create", schema=schema_name, how=how, seconds=time.perf_counter() - started)
        return how

    services._step = _step
    schemas.schema_create = schema_create


@signals.worker_ready.connect
def _ready(sender=None, **_):
    _patch_provisioning()  # solo pool: tasks run in this process
    record("worker_ready", pid=os.getpid())


@signals.worker_process_init.connect
def _process_init(sender=None, **_):
    _patch_provisioning()  # prefork pool: in each child
