"""Process-local caches that every worker drops at once when the data behind them changes.

A lookup made on every request (which tenant owns this host, what it is licensed for) must cost
microseconds, yet a change must show on the very next request in every worker process. Each
cache keeps its entries in process memory, tagged with a generation number that lives in Redis;
`invalidate()` increments that number, and every process compares it (one Redis GET) before
trusting its copy. If Redis cannot be reached, the cache is bypassed, never trusted blindly.
"""

import contextlib
import logging
import threading
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from typing import Any

import redis
from django.conf import settings

logger = logging.getLogger(__name__)

_client: redis.Redis | None = None


def redis_client() -> redis.Redis:
    """One connection pool per process (redis-py re-creates it after a fork)."""
    global _client
    if _client is None:
        _client = redis.Redis.from_url(
            settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=1
        )
    return _client


_MISSING = object()


class GenerationalCache:
    def __init__(self, namespace: str, *, max_entries: int = 10_000):
        self.namespace = namespace
        self.max_entries = max_entries
        self._entries: dict[Any, Any] = {}
        self._generation: bytes | None = None
        self._lock = threading.Lock()
        self._pinned: ContextVar[bytes | None] = ContextVar(f"pinned-{namespace}", default=None)

    @property
    def generation_key(self) -> str:
        return f"{settings.CACHES['default']['KEY_PREFIX']}:generation:{self.namespace}"

    def _current_generation(self) -> bytes | None:
        try:
            return redis_client().get(self.generation_key) or b"0"
        except redis.RedisError as exc:
            logger.warning("generation of %s unavailable: %s", self.namespace, exc)
            return None

    @contextlib.contextmanager
    def pinned(self) -> Iterator[None]:
        """Read the generation once for a whole request, however many lookups it makes.

        Changes committed by other processes while the request runs are seen by the next one.
        """
        token = self._pinned.set(self._current_generation())
        try:
            yield
        finally:
            self._pinned.reset(token)

    def generation(self) -> bytes | None:
        """The generation in force for this request (None when Redis cannot be reached)."""
        return self._pinned.get() or self._current_generation()

    def get_or_load(self, key, loader: Callable[[], Any]):
        generation = self.generation()
        if generation is None:
            return loader()
        with self._lock:
            if generation != self._generation:
                self._entries.clear()
                self._generation = generation
            value = self._entries.get(key, _MISSING)
        if value is not _MISSING:
            return value
        value = loader()
        with self._lock:
            if self._generation == generation:
                if len(self._entries) >= self.max_entries:
                    self._entries.clear()
                self._entries[key] = value
        return value

    def invalidate(self) -> None:
        """Make every process drop its entries before its next lookup."""
        with self._lock:
            self._entries.clear()
            self._generation = None
        try:
            redis_client().incr(self.generation_key)
        except redis.RedisError:
            logger.exception("could not invalidate %s in other processes", self.namespace)


#: Everything a tenant request looks up before its view runs: the tenant of a host, its
#: entitlements, a user's granted areas. Invalidated by any change to those (on commit), and
#: read with one Redis GET per request (`pinned()` in the routing middleware).
tenancy_cache = GenerationalCache("tenancy")
