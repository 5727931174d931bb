"""Cache keys are tenant-prefixed (DESIGN.md §9): the same key never crosses tenants."""

import pytest
from django.core.cache import cache
from django_tenants.utils import schema_context

pytestmark = pytest.mark.django_db


@pytest.fixture
def key():
    """A key no earlier run has written (Redis outlives the test database)."""
    import uuid

    return f"dashboard:{uuid.uuid4().hex}"


def test_same_key_holds_a_separate_value_per_tenant(tenant_a, tenant_b, key):
    with schema_context(tenant_a.schema_name):
        cache.set(key, "A's numbers", 30)
    with schema_context(tenant_b.schema_name):
        assert cache.get(key) is None
        cache.set(key, "B's numbers", 30)
    with schema_context(tenant_a.schema_name):
        assert cache.get(key) == "A's numbers"
    with schema_context("public"):
        assert cache.get(key) is None


def test_deleting_in_one_tenant_leaves_the_other(tenant_a, tenant_b, key):
    for tenant in (tenant_a, tenant_b):
        with schema_context(tenant.schema_name):
            cache.set(key, tenant.slug, 30)
    with schema_context(tenant_a.schema_name):
        cache.delete(key)
    with schema_context(tenant_b.schema_name):
        assert cache.get(key) == tenant_b.slug


def test_raw_redis_keys_start_with_the_schema(tenant_a, key):
    import redis
    from django.conf import settings

    with schema_context(tenant_a.schema_name):
        cache.set(key, 1, 30)
    client = redis.Redis.from_url(settings.REDIS_URL)

    keys = [k.decode() for k in client.scan_iter(match=f"*{key}")]

    prefix = settings.CACHES["default"]["KEY_PREFIX"]
    assert keys == [f"{tenant_a.schema_name}:{prefix}:1:{key}"]
