"""Measuring a tenant's resource use into its daily series (UsageDay, one row per tenant and
day: a rerun of the day updates the row, never adds one)."""

import datetime
import os
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from apps.core import usage
from apps.platform.metering.models import UsageDay
from apps.platform.tenants.models import Tenant

__all__ = ["schema_db_bytes", "storage_root", "storage_size", "usage_measure", "usage_prune"]


def schema_db_bytes(schema_name: str) -> int:
    """The schema's size: pg_total_relation_size (table, its indexes and TOAST) summed over its
    tables, partitions and materialised views."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT COALESCE(SUM(pg_total_relation_size(c.oid)), 0) FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = %s AND c.relkind IN ('r', 'p', 'm')",
            [schema_name],
        )
        return int(cursor.fetchone()[0])


def storage_root(schema_name: str) -> Path:
    """The tenant's storage prefix (django-tenants' TenantFileSystemStorage)."""
    return Path(settings.MEDIA_ROOT) / (settings.MULTITENANT_RELATIVE_MEDIA_ROOT % schema_name)


def storage_size(schema_name: str) -> tuple[int, int]:
    """(bytes, files) under the tenant's storage prefix; links are not followed."""
    total = files = 0
    root = storage_root(schema_name)
    if not root.is_dir():
        return 0, 0
    for folder, _dirs, names in os.walk(root, followlinks=False):
        for name in names:
            try:
                stat = os.lstat(os.path.join(folder, name))
            except FileNotFoundError:  # deleted while we walked
                continue
            total += stat.st_size
            files += 1
    return total, files


def usage_measure(*, tenant: Tenant, day: datetime.date | None = None) -> UsageDay:
    """Measure the tenant now into its row of `day` (default today): sizes as they are now,
    the day's counters as Redis holds them. Idempotent: the row is created or updated."""
    day = day or timezone.localdate()
    schema = tenant.schema_name
    usage.uploaded_reset(schema)
    storage_bytes, storage_files = storage_size(schema)
    counts = usage.day_counts(schema, day)
    values = {
        "db_bytes": schema_db_bytes(schema),
        "storage_bytes": storage_bytes,
        "storage_files": storage_files,
        "api_requests": counts.api_requests,
        "api_requests_total": sum(counts.api_requests.values()),
        "task_seconds": counts.task_seconds,
        "task_seconds_total": round(sum(counts.task_seconds.values()), 3),
        "active_users": counts.active_users,
    }
    with transaction.atomic():
        # The unique (tenant, day) holds even when two workers measure at once.
        row, _ = UsageDay.objects.update_or_create(tenant=tenant, day=day, defaults=values)
    return row


def usage_prune(*, today: datetime.date | None = None) -> int:
    """Delete the rows older than USAGE_SERIES_DAYS."""
    today = today or timezone.localdate()
    cutoff = today - datetime.timedelta(days=settings.USAGE_SERIES_DAYS)
    deleted, _ = UsageDay.objects.filter(day__lt=cutoff).delete()
    return deleted
