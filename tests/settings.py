"""Test settings: the production settings, with a test secret, a fast password hasher and a
Redis database of their own (so that a `make run` on the same Redis is never disturbed)."""

import os
import secrets
from urllib.parse import urlsplit, urlunsplit

os.environ.setdefault("SECRET_KEY", "test-secret-key-not-for-production")
os.environ.setdefault("SECURE_COOKIES", "0")
# Fixed test keys (never used anywhere else), inherited by every process a test starts.
os.environ.setdefault("FIELD_ENCRYPTION_KEYS", "zsAlfhlWyrBe5CWi6HgN-w31-YocELup1fZ4GmAgknI=")
os.environ.setdefault("FIELD_HASH_KEY", "test-field-hash-key-not-for-production")

from dotmac.settings import *  # noqa: E402,F403
from dotmac.settings import CACHES, REDIS_URL, env  # noqa: E402

TEST_REDIS_DB = env.int("TEST_REDIS_DB", default=15)


def _with_db(url: str, db: int) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{db}"))


REDIS_URL = _with_db(REDIS_URL, TEST_REDIS_DB)
CACHES["default"]["LOCATION"] = REDIS_URL
CELERY_BROKER_URL = REDIS_URL
CELERY_RESULT_BACKEND = REDIS_URL
# A queue of this test session's own (inherited by the servers it starts), so that two sessions
# sharing a Redis never run each other's tasks against the wrong database.
# The pid alone is not enough: pids are reused, and a new session must not read cached
# entitlements an earlier session (same pid) left in Redis.
# Under pytest-xdist each worker is a session of its own (its own test database): the workers
# inherit the controller's environment, so a worker takes a queue of its own once, and the
# servers it starts inherit that one.
_xdist_worker = os.environ.get("PYTEST_XDIST_WORKER")
if _xdist_worker and os.environ.get("DOTMAC_TEST_QUEUE_WORKER") != _xdist_worker:
    os.environ["DOTMAC_TEST_QUEUE"] = f"test-{os.getpid()}-{secrets.token_hex(4)}"
    os.environ["DOTMAC_TEST_QUEUE_WORKER"] = _xdist_worker
os.environ.setdefault("DOTMAC_TEST_QUEUE", f"test-{os.getpid()}-{secrets.token_hex(4)}")
CELERY_TASK_DEFAULT_QUEUE = os.environ["DOTMAC_TEST_QUEUE"]
# Cache keys and the shared invalidation generations too: another session's changes must not
# flush this session's caches in the middle of a query-count assertion.
CACHES["default"]["KEY_PREFIX"] = f"dotmac-test-{os.environ['DOTMAC_TEST_QUEUE']}"
# Likewise rate-limit counters of this session's own (tests/conftest.py resets them per test).
RATE_LIMIT_KEY_PREFIX = f"dotmac-test:{os.environ['DOTMAC_TEST_QUEUE']}"
# No background refill of spare schemas behind the tests' backs; tests that want spares make them.
SPARE_SCHEMAS = 0
# Monitoring probes loopback addresses only (and the network namespaces tests make, which add
# their own network for the test's length).
MONITORING_PROBE_NETWORKS = ["127.0.0.0/8", "::1/128"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405

# Servers started by tests (gunicorn) may mount test-only views.
if env.bool("DOTMAC_TEST_URLS", default=False):
    PUBLIC_SCHEMA_URLCONF = "tests.urls_public"
    ROOT_URLCONF = "tests.urls_tenant"


# Static files come from the finders; no collectstatic before tests.
STATIC_ROOT = None
WHITENOISE_USE_FINDERS = True
