"""Tenant-aware housekeeping tasks. Thin wrappers: ids in, services do the work."""

from celery import shared_task
from django.db import connection
from django_tenants.utils import get_tenant_model, schema_context

from apps.core import services


@shared_task(bind=True, name="core.record_heartbeat")
def record_heartbeat(self, source: str = "beat") -> int:
    """Write a heartbeat in the schema the task was sent from; idempotent per task id."""
    return services.heartbeat_record(
        source=source, schema_name=connection.schema_name, task_id=self.request.id
    ).pk


@shared_task(name="core.fan_out_heartbeats")
def fan_out_heartbeats() -> int:
    """Send one heartbeat task per active tenant, each from (and so into) its own schema."""
    sent = 0
    tenants = get_tenant_model().objects.exclude(schema_name="public").filter(status="active")
    for schema_name in tenants.values_list("schema_name", flat=True):
        with schema_context(schema_name):
            record_heartbeat.delay(source="beat")
        sent += 1
    return sent
