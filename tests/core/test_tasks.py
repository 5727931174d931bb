"""Tenant-aware Celery (DESIGN.md §6, §9) with a real worker consuming from Redis."""

import pytest
from django.db import connection
from django_tenants.utils import schema_context

from apps.core.models import WorkerHeartbeat
from apps.core.tasks import fan_out_heartbeats, record_heartbeat
from apps.platform.tenants.models import Tenant

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


def purge_heartbeats() -> None:
    """Delete heartbeats in every schema over a connection of its own: the test's connection
    is inside a transaction that is rolled back, while the worker's rows are committed."""
    import psycopg

    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    with psycopg.connect(**params, autocommit=True) as raw:
        for schema in raw.execute("SELECT schema_name FROM tenants_tenant").fetchall():
            raw.execute(f'DELETE FROM "{schema[0]}".core_workerheartbeat')


@pytest.fixture
def committed(celery_worker):
    purge_heartbeats()
    yield
    purge_heartbeats()


def heartbeats_by_schema() -> dict:
    counts = {}
    schemas = [
        "public",
        *Tenant.objects.exclude(schema_name="public").values_list("schema_name", flat=True),
    ]
    for schema in schemas:
        with schema_context(schema):
            counts[schema] = list(WorkerHeartbeat.objects.values_list("schema_name", "source"))
    return counts


def test_task_sent_from_tenant_a_writes_in_a_and_nowhere_else(committed):
    with schema_context("tenant_a"):
        result = record_heartbeat.delay(source="from-a")

    result.get(timeout=20)

    counts = heartbeats_by_schema()
    assert counts["tenant_a"] == [("tenant_a", "from-a")]
    assert counts["tenant_b"] == []
    assert counts["public"] == []


def test_retried_task_writes_nothing_new(committed):
    import uuid

    task_id = f"retry-{uuid.uuid4().hex}"
    with schema_context("tenant_b"):
        record_heartbeat.apply_async(kwargs={"source": "x"}, task_id=task_id)
        record_heartbeat.apply_async(kwargs={"source": "x"}, task_id=task_id)
        # The solo worker runs tasks in order: once this one is done, both above are too.
        record_heartbeat.apply_async(kwargs={"source": "marker"}).get(timeout=20)

    assert sorted(heartbeats_by_schema()["tenant_b"]) == [("tenant_b", "marker"), ("tenant_b", "x")]


def test_beat_fan_out_sends_one_task_per_active_tenant_into_its_own_schema(committed):
    sent = fan_out_heartbeats.delay().get(timeout=20)

    import time

    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        counts = heartbeats_by_schema()
        if all(counts[s] for s in ("tenant_a", "tenant_b")):
            break
        time.sleep(0.2)
    active = Tenant.objects.filter(status="active").exclude(schema_name="public").count()
    assert sent == active
    assert counts["tenant_a"] == [("tenant_a", "beat")]
    assert counts["tenant_b"] == [("tenant_b", "beat")]
    assert counts["public"] == []
