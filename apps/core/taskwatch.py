"""Which tasks are running, and since when: readiness reports a stalled worker (issue 16).

A worker that spends a quarter of an hour in one task (a runaway billing run) starves the work
queued behind it while every probe said 200. Each task's start is written to one Redis hash
(`<prefix>:tasks:running`, task id → name and start) when it begins and removed when it ends,
in every worker process (Celery's task_prerun/task_postrun signals, connected in
apps.core.apps). `/health/ready` reads the hash: a task running longer than TASK_STALL_SECONDS
fails the `workers` check, naming it. A worker killed mid-task leaves its entry behind; once
older than the hard time limit (CELERY_TASK_TIME_LIMIT, after which Celery itself kills the
task) it cannot still be running and is dropped.

Writing the hash never fails a task: without Redis there is no queue to watch either.
"""

import json
import logging
import time

import redis
from celery.signals import task_postrun, task_prerun
from django.conf import settings

from apps.core.localcache import redis_client

logger = logging.getLogger(__name__)


def running_key() -> str:
    return f"{settings.CACHES['default']['KEY_PREFIX']}:tasks:running"


@task_prerun.connect(dispatch_uid="apps.core.taskwatch.started")
def _started(task_id=None, task=None, **kwargs) -> None:
    entry = json.dumps({"name": getattr(task, "name", "?"), "started": time.time()})
    try:
        redis_client().hset(running_key(), task_id, entry)
    except redis.RedisError as exc:
        logger.warning("task %s not watched: %s", task_id, exc)


@task_postrun.connect(dispatch_uid="apps.core.taskwatch.ended")
def _ended(task_id=None, **kwargs) -> None:
    try:
        redis_client().hdel(running_key(), task_id)
    except redis.RedisError as exc:
        logger.warning("task %s not unwatched: %s", task_id, exc)


def stalled_tasks(now: float | None = None) -> list[str]:
    """Tasks running past TASK_STALL_SECONDS, as "name (task id) for N s"; entries older than
    the hard time limit are dropped (their worker died)."""
    now = time.time() if now is None else now
    client = redis_client()
    dead_after = settings.CELERY_TASK_TIME_LIMIT + 60
    stalled, dead = [], []
    for task_id, raw in client.hgetall(running_key()).items():
        try:
            entry = json.loads(raw)
            age = now - float(entry["started"])
        except (ValueError, KeyError, TypeError):
            dead.append(task_id)
            continue
        if age > dead_after:
            dead.append(task_id)
        elif age > settings.TASK_STALL_SECONDS:
            stalled.append(f"{entry.get('name', '?')} ({task_id.decode()}) for {age:.0f} s")
    if dead:
        client.hdel(running_key(), *dead)
    return sorted(stalled)


def check_workers() -> None:
    """The readiness check: no task stalled (unknown without Redis, which its own check reports)."""
    try:
        stalled = stalled_tasks()
    except redis.RedisError:
        return
    if stalled:
        limit = settings.TASK_STALL_SECONDS
        raise RuntimeError(f"task running past {limit} s: " + "; ".join(stalled))
