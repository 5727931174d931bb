"""Probes (DESIGN.md §7).

- live: the process answers; touches neither PostgreSQL nor Redis.
- ready: PostgreSQL and Redis both answer a real round trip, no task is stalled in a worker
  (apps.core.taskwatch) and the server is not draining before a shutdown (dotmac.gunicorn_conf);
  503 naming what failed.
- startup: Django is initialised and the public schema has no unapplied migrations.
"""

import logging
import os
import time

import redis
from django.conf import settings
from django.db import connections
from django.http import JsonResponse

from apps.core.errors import ErrorCode, error_body
from apps.core.taskwatch import check_workers

logger = logging.getLogger(__name__)

_state = {"initialised": False, "migrated": False}


def mark_initialised() -> None:
    _state["initialised"] = True


def check_database() -> None:
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


_redis_client = None


def _redis() -> redis.Redis:
    global _redis_client
    if _redis_client is None:
        _redis_client = redis.Redis.from_url(
            settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=2
        )
    return _redis_client


def check_redis() -> None:
    if not _redis().ping():
        raise ConnectionError("PING was not answered")


def check_migrations() -> None:
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connections["default"])
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if plan:
        raise RuntimeError(f"{len(plan)} migration(s) not applied")


def _run(checks: dict) -> tuple[dict, list]:
    results, failures = {}, []
    for name, check in checks.items():
        started = time.perf_counter()
        try:
            check()
        except Exception as exc:  # a probe reports any failure rather than raising it
            connections["default"].close_if_unusable_or_obsolete()
            logger.warning("health check %s failed: %s", name, exc)
            results[name] = {"status": "fail", "error": f"{type(exc).__name__}: {exc}"[:300]}
            failures.append({"field": name, "message": results[name]["error"]})
        else:
            ms = round((time.perf_counter() - started) * 1000, 2)
            results[name] = {"status": "ok", "ms": ms}
    return results, failures


def _respond(results: dict, failures: list) -> JsonResponse:
    if failures:
        names = ", ".join(f["field"] for f in failures)
        body = error_body(ErrorCode.SERVICE_UNAVAILABLE, f"Not ready: {names} failed", failures)
        body["checks"] = results
        return JsonResponse(body, status=503)
    return JsonResponse({"status": "ok", "checks": results})


def live(request) -> JsonResponse:
    return JsonResponse({"status": "ok"})


def check_not_draining() -> None:
    drain_file = os.environ.get("DOTMAC_DRAIN_FILE")
    if drain_file and os.path.exists(drain_file):
        raise RuntimeError("shutting down: finishing requests, taking no new ones")


READY_CHECKS = {
    "serving": check_not_draining,
    "database": check_database,
    "redis": check_redis,
    "workers": check_workers,
}


def ready(request) -> JsonResponse:
    """Every check, less those named in `?skip=` (a web pod's probe skips `workers`: a stalled
    task is for monitoring to report, not a reason to take every web server out of rotation)."""
    skip = set(request.GET.get("skip", "").split(","))
    return _respond(*_run({k: v for k, v in READY_CHECKS.items() if k not in skip}))


def startup(request) -> JsonResponse:
    results, failures = _run({"initialised": _check_initialised, "database": check_database})
    if not failures and not _state["migrated"]:
        # Only meaningful once the database answers; cached once true (migrations only grow
        # while a process runs, and a new deploy is a new process).
        more_results, failures = _run({"migrations": check_migrations})
        results.update(more_results)
        _state["migrated"] = not failures
    return _respond(results, failures)


def _check_initialised() -> None:
    if not _state["initialised"]:
        raise RuntimeError("application registry not ready")
