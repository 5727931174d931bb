"""Read replicas: reports, dashboards and exports read from a streaming standby.

`DATABASE_REPLICA_URL` adds the `replica` alias (dotmac/settings.py); without it everything
below is a no-op and every read goes to the primary.

Opt-in, never by default. A reader that tolerates a little replication lag says so:

    with replica():                 # or @replica() on the selector
        rows = Invoice.objects.filter(...).aggregate(...)
        with connections[read_alias()].cursor() as cursor:   # raw SQL too
            ...

Inside the block the router (`ReplicaRouter.db_for_read`) sends the ORM's reads to the replica;
everywhere else reads and writes go to the primary as before, so a list page, a form or a
service's read-modify-write never sees a stale row. `read_alias()` is the primary instead when:

- the primary is in a transaction (`atomic`): a read in it must see the transaction's writes;
- this request or task wrote through the ORM (`db_for_write` pins it: read-your-writes for the
  rest of it), or the same user wrote within the last DB_REPLICA_PIN_SECONDS (a Redis marker
  the middleware sets after a writing request, read once per request by the first replica
  read, so that the page a form redirects to shows what was just saved whichever worker serves
  it). Raw SQL writes outside `atomic` call `pin_primary()`;
- the standby is unreachable: a connection is tried with a short connect timeout
  (DB_REPLICA_CONNECT_TIMEOUT) and the verdict kept for DB_REPLICA_CHECK_SECONDS (up) or
  DB_REPLICA_RETRY_SECONDS (down), per process, so that a dead standby costs one failed connect
  per process every few seconds, not one per read. A standby that dies between two checks
  fails the read in flight (a database error, as on the primary) and marks itself down, so the
  next reads go to the primary at once.

django-tenants sets the tenant's search_path on the default connection only (its middleware,
`schema_context`, `tenant_context`; django-tenants #638): `read_alias()` gives the replica
connection the primary's tenant before each use (`set_tenant`, which only marks the
search_path to send with the next statement; nothing when it is already the same tenant).
Writes always go to the primary, also for an object read from the replica (its `_state.db`).
Migrations never run on the replica (a standby is read-only; it replays the primary's).
"""

import contextlib
import contextvars
import logging
import time
from dataclasses import dataclass

from celery.signals import task_postrun, task_prerun
from django.conf import settings
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, DatabaseError, OperationalError, connections

logger = logging.getLogger(__name__)

REPLICA = "replica"
PRIMARY = DEFAULT_DB_ALIAS

__all__ = [
    "PRIMARY",
    "REPLICA",
    "ReplicaMiddleware",
    "ReplicaRouter",
    "pin_primary",
    "read_alias",
    "replica",
    "replica_configured",
]


@dataclass
class _Work:
    """One request's or task's routing state."""

    wrote: bool = False
    schema: str | None = None  # the tenant the first write was in
    request: object = None
    marker_checked: bool = False


_work: contextvars.ContextVar[_Work | None] = contextvars.ContextVar("replica_work", default=None)
_wanted: contextvars.ContextVar[bool] = contextvars.ContextVar("replica_wanted", default=False)
# Writes no report reads: a session saved or a login attempt recorded pins nothing.
_UNPINNED = frozenset({"sessions.Session", "axes.AccessAttempt", "axes.AccessLog"})
# alias → (usable, monotonic time the verdict expires)
_verdicts: dict[str, tuple[bool, float]] = {}


def replica_configured() -> bool:
    return REPLICA in connections.settings


@contextlib.contextmanager
def replica():
    """Reads inside the block may go to the replica (see the module). Also a decorator."""
    token = _wanted.set(True)
    try:
        yield
    finally:
        _wanted.reset(token)


@contextlib.contextmanager
def unit_of_work(request=None):
    """A request's or task's own routing state: its writes pin only itself (and, through the
    marker, its user's next requests)."""
    token = _work.set(_Work(request=request))
    try:
        yield _work.get()
    finally:
        _work.reset(token)


def pin_primary() -> None:
    """This request or task wrote: its later reads stay on the primary."""
    work = _work.get()
    if work is None:
        work = _Work()
        _work.set(work)
    if not work.wrote:
        work.wrote = True
        work.schema = connections[PRIMARY].schema_name


def read_alias() -> str:
    """The alias a read should use here and now (see the module)."""
    if not _wanted.get() or REPLICA not in connections.settings:
        return PRIMARY
    primary = connections[PRIMARY]
    if primary.in_atomic_block or _pinned() or not _usable(REPLICA):
        return PRIMARY
    if primary.tenant is None:  # no schema chosen yet: nothing to mirror
        return PRIMARY
    standby = connections[REPLICA]
    if (standby.schema_name, standby.include_public_schema) != (
        primary.schema_name,
        primary.include_public_schema,
    ):
        standby.set_tenant(primary.tenant, primary.include_public_schema)
    if _failure_noted not in standby.execute_wrappers:
        standby.execute_wrappers.append(_failure_noted)
    return REPLICA


def _failure_noted(execute, sql, params, many, context):
    """A standby that died between two checks fails the read in flight (as any database
    error would); the reads after it go to the primary at once, not after the verdict."""
    try:
        return execute(sql, params, many, context)
    except OperationalError:
        wrapper = context["connection"]
        _verdicts[wrapper.alias] = (
            False,
            time.monotonic() + getattr(settings, "DB_REPLICA_RETRY_SECONDS", 10.0),
        )
        logger.warning("replica: a read failed on %s, reading from the primary", wrapper.alias)
        raise


def _marker_key(schema: str | None, user_pk) -> str:
    return f"dotmac:replica-pin:{schema}:{user_pk}"


def _pinned() -> bool:
    work = _work.get()
    if work is None:
        return False
    if work.wrote:
        return True
    if not work.marker_checked and work.request is not None:
        work.marker_checked = True
        user = getattr(work.request, "user", None)
        if user is not None and user.is_authenticated:
            key = _marker_key(connections[PRIMARY].schema_name, user.pk)
            try:
                work.wrote = bool(cache.get(key))
            except Exception:  # noqa: BLE001 - Redis down: the primary is always right
                logger.warning("replica: the read-your-writes marker is unreadable")
                work.wrote = True
    return work.wrote


def _usable(alias: str) -> bool:
    """Whether the standby answers (the verdict cached per process, see the module)."""
    now = time.monotonic()
    verdict = _verdicts.get(alias)
    wrapper = connections[alias]
    if verdict is not None and verdict[1] > now and (not verdict[0] or wrapper.connection):
        return verdict[0]
    try:
        if wrapper.connection is not None and not wrapper.is_usable():
            wrapper.close()
        wrapper.ensure_connection()
        usable = True
    except DatabaseError as error:
        with contextlib.suppress(DatabaseError):
            wrapper.close()
        if verdict is None or verdict[0]:
            logger.warning("replica: %s is unreachable, reading from the primary: %s", alias, error)
        usable = False
    wait = (
        getattr(settings, "DB_REPLICA_CHECK_SECONDS", 5.0)
        if usable
        else getattr(settings, "DB_REPLICA_RETRY_SECONDS", 10.0)
    )
    _verdicts[alias] = (usable, now + wait)
    return usable


def forget_verdicts() -> None:
    """Check the standby again at the next replica read (tests, after a failover)."""
    _verdicts.clear()


class ReplicaRouter:
    """Reads inside `replica()` to the standby, every write to the primary (see the module).

    Listed before django-tenants' TenantSyncRouter, which decides the rest of migrations."""

    def db_for_read(self, model, **hints):
        alias = read_alias()
        return alias if alias != PRIMARY else None

    def db_for_write(self, model, **hints):
        if model._meta.label not in _UNPINNED:
            pin_primary()
        instance = hints.get("instance")
        if instance is not None and instance._state.db == REPLICA:
            return PRIMARY  # an object read from the standby is saved on the primary
        return None  # the primary, or the alias the instance came from (Django's default)

    def allow_relation(self, obj1, obj2, **hints):
        if {obj1._state.db, obj2._state.db} <= {PRIMARY, REPLICA}:
            return True
        return None

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        if db == REPLICA:
            return False
        return None


class ReplicaMiddleware:
    """Each request its own routing state; after one that wrote, the user's reads stay on the
    primary for DB_REPLICA_PIN_SECONDS (a Redis marker, so whichever worker or instance serves
    the next request knows). Nothing at all without a replica."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if REPLICA not in connections.settings:
            return self.get_response(request)
        with unit_of_work(request) as work:
            response = self.get_response(request)
            if work.wrote:
                user = getattr(request, "user", None)
                if user is not None and user.is_authenticated:
                    seconds = getattr(settings, "DB_REPLICA_PIN_SECONDS", 10)
                    try:
                        cache.set(_marker_key(work.schema, user.pk), 1, timeout=seconds)
                    except Exception:  # noqa: BLE001 - a lost marker costs a stale report at worst
                        logger.warning("replica: the read-your-writes marker was not set")
        return response


@task_prerun.connect(dispatch_uid="apps.core.db.replica.started")
def task_started(**_kwargs) -> None:
    """Each Celery task its own routing state: a task that wrote reads from the primary."""
    _work.set(_Work())


@task_postrun.connect(dispatch_uid="apps.core.db.replica.finished")
def task_finished(**_kwargs) -> None:
    _work.set(None)
