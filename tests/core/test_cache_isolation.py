"""Cache keys are tenant-prefixed (DESIGN.md §9): the same key never crosses tenants."""

import pytest
from django.core.cache import cache
from django_tenants.utils import schema_context

pytestmark = pytest.mark.django_db


def test_same_key_holds_a_separate_value_per_tenant(tenant_a, tenant_b):
    with schema_context(tenant_a.schema_name):
        cache.set("dashboard:totals", "A's numbers", 30)
    with schema_context(tenant_b.schema_name):
        assert cache.get("dashboard:totals") is None
        cache.set("dashboard:totals", "B's numbers", 30)
    with schema_context(tenant_a.schema_name):
        assert cache.get("dashboard:totals") == "A's numbers"
    with schema_context("public"):
        assert cache.get("dashboard:totals") is None


def test_deleting_in_one_tenant_leaves_the_other(tenant_a, tenant_b):
    for tenant in (tenant_a, tenant_b):
        with schema_context(tenant.schema_name):
            cache.set("k", tenant.slug, 30)
    with schema_context(tenant_a.schema_name):
        cache.delete("k")
    with schema_context(tenant_b.schema_name):
        assert cache.get("k") == tenant_b.slug


def test_raw_redis_keys_start_with_the_schema(tenant_a):
    import redis
    from django.conf import settings

    with schema_context(tenant_a.schema_name):
        cache.set("probe-key", 1, 30)
    client = redis.Redis.from_url(settings.REDIS_URL)

    keys = [k.decode() for k in client.scan_iter(match="*probe-key")]

    assert keys == [f"{tenant_a.schema_name}:dotmac-test:1:probe-key"]
