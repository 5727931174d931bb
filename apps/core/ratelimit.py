"""Rate-limit counters in Redis, shared by every worker process and host (DESIGN.md §7).

`hit(key, limit, window)` counts one request against `key` and answers whether it is within
`limit` requests per `window` seconds and, when it is not, in how many seconds it will be.
The DRF throttles (`apps.core.throttling`) and the sign-in page use it alike.

Window: fixed, anchored at the first request (not at the clock). The first hit creates the
counter with a time-to-live of `window`; later hits increment it; once it expires, the next
hit opens a new window. INCR, PEXPIRE and PTTL run in one Lua script: atomic across processes,
one round trip. Why not clock-aligned windows: five sign-ins at 12:00:59 and five more at
12:01:01 would all pass, and "the sixth within a minute" must be refused. Why not a sliding log
(a sorted set of timestamps per client): its memory and work grow with the limit, on every API
request (1,000/min on enterprise plans, far more in the benchmarks). The price of the anchored
window: a client that waits out one window may send `limit` more at once, so at most
2 × `limit` pass in a `window`-long span that straddles two windows; for abuse protection
that is fine. Refused requests are counted but never extend the window: a client that keeps
hammering is let in again when the window it opened ends.

Keys are plain Redis keys under `<RATE_LIMIT_KEY_PREFIX>:ratelimit:`, not Django cache keys: the
cache's key function silently prefixes the *current* schema, while a counter's scope is a
decision (the sign-in counter of an IP deliberately spans all tenants), so each throttle names
its scope in the key itself.

If Redis cannot be reached the request is allowed (and a warning logged): the rate limiter
must not take the API down with it; /health/ready reports Redis as unavailable. A limit that
guards against guessing (sign-in) fails closed instead (`fail_open=False`): the Redis error
propagates and the request is answered 503 (apps.core.outage).
"""

import logging
import math
from dataclasses import dataclass

import redis
from django.conf import settings
from redis.commands.core import Script
from rest_framework.throttling import BaseThrottle

from apps.core.localcache import redis_client

logger = logging.getLogger(__name__)

# KEYS[1] the counter; ARGV[1] the window in ms. Returns {count, milliseconds left}.
_HIT = """
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {count, ttl}
"""
_scripts: dict[int, Script] = {}


@dataclass(frozen=True)
class Hit:
    """The outcome of counting one request."""

    allowed: bool
    count: int
    limit: int
    #: Seconds until the current window ends (and the count starts again from zero).
    resets_in: float

    @property
    def retry_after(self) -> int:
        """Whole seconds to wait before retrying, as the Retry-After header says it (>= 1)."""
        return max(1, math.ceil(self.resets_in))


def rate_key(*parts: object) -> str:
    """The Redis key of a counter: `<prefix>:ratelimit:<part>:<part>...`."""
    return ":".join(str(part) for part in (settings.RATE_LIMIT_KEY_PREFIX, "ratelimit", *parts))


def hit(key: str, limit: int, window: int, *, fail_open: bool = True) -> Hit:
    """Count one request against `key`: allowed while at most `limit` in `window` seconds."""
    client = redis_client()
    script = _scripts.get(id(client))
    if script is None:
        script = _scripts[id(client)] = client.register_script(_HIT)
    try:
        count, ttl_ms = script(keys=[key], args=[int(window * 1000)])
    except redis.RedisError as exc:
        if not fail_open:
            raise
        logger.warning("rate limit %s not enforced, Redis unavailable: %s", key, exc)
        return Hit(allowed=True, count=0, limit=limit, resets_in=0.0)
    return Hit(allowed=int(count) <= limit, count=int(count), limit=limit, resets_in=ttl_ms / 1000)


def client_ip(request) -> str:
    """The client's address: REMOTE_ADDR, or the address NUM_PROXIES trusted proxies saw.

    DRF's rule (REST_FRAMEWORK["NUM_PROXIES"], 0 by default in DotMac): X-Forwarded-For is
    trusted only as far as the configured proxies wrote it, so a client cannot pick a new
    address per request to escape its limits. Works on Django and DRF requests alike.
    A server that sets no REMOTE_ADDR at all (a WSGI test client, some unix-socket setups)
    gives "" (one shared anonymous budget), not None: callers strip and hash it.
    """
    return BaseThrottle().get_ident(request) or ""
