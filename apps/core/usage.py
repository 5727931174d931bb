"""What each tenant does today, counted cheaply in Redis for the platform's daily usage series
(apps.platform.metering reads and keeps them): API requests by app, background task time by
app, the users active today, and the bytes uploaded since storage was last measured.

A request costs one pipelined round-trip to Redis (a hash increment, a set add); a failure of
Redis costs nothing but the count. Keys expire after USAGE_COUNTER_DAYS, so a day can be read
again (a rerun of the day's measurement) while it is kept.
"""

import contextlib
import datetime
from dataclasses import dataclass, field

import redis
from django.conf import settings
from django.db import connection
from django.utils import timezone

from apps.core.kit.declaration import declared
from apps.core.localcache import redis_client

__all__ = [
    "DayCounts",
    "count_request",
    "count_task",
    "count_upload",
    "count_active_user",
    "day_counts",
    "uploaded_since_measure",
    "uploaded_reset",
]

PUBLIC = "public"
#: At most this many app keys a day per tenant: a path cannot make a hash grow without bound.
MAX_APP_KEYS = 50


def _prefix() -> str:
    return f"{settings.CACHES['default']['KEY_PREFIX']}:usage"


def _day_key(schema: str, day: datetime.date, what: str) -> str:
    return f"{_prefix()}:{day.isoformat()}:{schema}:{what}"


def _ttl() -> int:
    return settings.USAGE_COUNTER_DAYS * 86400


def _today() -> datetime.date:
    return timezone.localdate()


def api_app_of(path: str) -> str | None:
    """`/api/v1/isp/customers/` → "isp"; None for what is not the versioned API."""
    parts = path.split("/", 4)
    if len(parts) < 4 or parts[1] != "api" or not parts[2].startswith("v") or not parts[3]:
        return None
    return parts[3][:40]


#: What an API path that matched no route counts under: a client inventing prefixes
#: (`/api/v1/<anything>/`) must not grow the day's hash with one field per invention.
UNROUTED = "unrouted"


def count_request(
    *, path: str, user_id: int | None, schema: str | None = None, status: int = 200
) -> None:
    """One request of the current tenant: an API call under its app, its user active today. A
    404 under a prefix that is no app's counts as UNROUTED."""
    schema = schema or connection.schema_name
    if schema == PUBLIC:
        return
    app = api_app_of(path)
    if app is not None and status == 404 and declared(app) is None:
        app = UNROUTED
    if app is None and user_id is None:
        return
    day, ttl = _today(), _ttl()
    with contextlib.suppress(redis.RedisError):
        pipe = redis_client().pipeline(transaction=False)
        if app is not None:
            key = _day_key(schema, day, "api")
            pipe.hincrby(key, app, 1)
            pipe.expire(key, ttl)
        if user_id is not None:
            key = _day_key(schema, day, "users")
            pipe.sadd(key, user_id)
            pipe.expire(key, ttl)
        pipe.execute()


def count_active_user(*, user_id: int, schema: str | None = None) -> None:
    count_request(path="", user_id=user_id, schema=schema)


def count_task(*, task_name: str, seconds: float, schema: str | None = None) -> None:
    """A task's run time in the tenant it ran for, under its app (the task name's prefix)."""
    schema = schema or connection.schema_name
    if schema == PUBLIC or seconds < 0:
        return
    app = (task_name or "unknown").split(".", 1)[0][:40]
    key = _day_key(schema, _today(), "tasks")
    with contextlib.suppress(redis.RedisError):
        pipe = redis_client().pipeline(transaction=False)
        pipe.hincrbyfloat(key, app, round(seconds, 6))
        pipe.expire(key, _ttl())
        pipe.execute()


def _uploaded_key(schema: str) -> str:
    return f"{_prefix()}:uploaded:{schema}"


def count_upload(*, size: int, schema: str | None = None) -> None:
    """Bytes written under the tenant's storage prefix since its storage was last measured."""
    schema = schema or connection.schema_name
    with contextlib.suppress(redis.RedisError):
        redis_client().incrby(_uploaded_key(schema), max(int(size), 0))


def uploaded_since_measure(schema: str) -> int:
    try:
        return int(redis_client().get(_uploaded_key(schema)) or 0)
    except redis.RedisError:
        return 0


def uploaded_reset(schema: str) -> None:
    """Storage is about to be measured: what is uploaded from now on is counted afresh (a file
    written meanwhile is counted twice until the next measurement: on the safe side)."""
    with contextlib.suppress(redis.RedisError):
        redis_client().set(_uploaded_key(schema), 0)


@dataclass(frozen=True)
class DayCounts:
    api_requests: dict[str, int] = field(default_factory=dict)
    task_seconds: dict[str, float] = field(default_factory=dict)
    active_users: int = 0


def day_counts(schema: str, day: datetime.date) -> DayCounts:
    """A tenant's counts of `day`, read (never consumed: reading twice gives the same)."""
    client = redis_client()
    pipe = client.pipeline(transaction=False)
    pipe.hgetall(_day_key(schema, day, "api"))
    pipe.hgetall(_day_key(schema, day, "tasks"))
    pipe.scard(_day_key(schema, day, "users"))
    api, tasks, users = pipe.execute()

    def top(items: dict, cast) -> dict:
        rows = sorted(((k.decode(), cast(v)) for k, v in items.items()), key=lambda kv: -kv[1])
        return dict(rows[:MAX_APP_KEYS])

    return DayCounts(
        api_requests=top(api, int),
        task_seconds={k: round(v, 3) for k, v in top(tasks, float).items()},
        active_users=int(users),
    )
