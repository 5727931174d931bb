"""Reads of the daily usage series: a tenant's own, and the platform's top tenants."""

import datetime
from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils import timezone

from apps.platform.metering.models import UsageDay
from apps.platform.tenants.models import Tenant

__all__ = [
    "MEASURES",
    "latest_usage",
    "tenant_series",
    "tenants_metered",
    "top_tenants",
    "platform_totals",
]

#: What the pages rank and chart: (field, label, unit).
MEASURES = (
    ("db_bytes", "Database size", "bytes"),
    ("storage_bytes", "File storage", "bytes"),
    ("api_requests_total", "API requests", "count"),
    ("task_seconds_total", "Background task time", "seconds"),
    ("active_users", "Active users", "count"),
)
#: The longest series a page shows.
MAX_DAYS = 90


def tenants_metered() -> QuerySet[Tenant]:
    """Tenants whose schema holds data: active and suspended ones."""
    return (
        Tenant.objects.exclude(schema_name="public")
        .filter(status__in=[Tenant.Status.ACTIVE, Tenant.Status.SUSPENDED])
        .order_by("pk")
    )


def latest_usage(tenant: Tenant) -> UsageDay | None:
    return UsageDay.objects.filter(tenant=tenant).order_by("-day").first()


def tenant_series(tenant: Tenant, *, days: int = 30) -> list[UsageDay]:
    """The tenant's rows of the last `days` days (at most MAX_DAYS), oldest first."""
    days = max(1, min(int(days), MAX_DAYS))
    since = timezone.localdate() - datetime.timedelta(days=days - 1)
    return list(UsageDay.objects.filter(tenant=tenant, day__gte=since).order_by("day"))


@dataclass(frozen=True)
class Ranked:
    tenant: Tenant
    value: float


def top_tenants(*, day: datetime.date, limit: int = 10) -> dict[str, list[Ranked]]:
    """For each measure, the tenants with the most of it on `day`, largest first."""
    rows = list(UsageDay.objects.filter(day=day).select_related("tenant"))
    ranked = {}
    for measure, _label, _unit in MEASURES:
        ordered = sorted(rows, key=lambda row, m=measure: -getattr(row, m))
        ranked[measure] = [
            Ranked(row.tenant, getattr(row, measure)) for row in ordered[:limit]
            if getattr(row, measure)
        ]  # fmt: skip
    return ranked


def platform_totals(*, days: int = 30) -> list[dict]:
    """Each day of the last `days`: every measure summed over the tenants, oldest first."""
    days = max(1, min(int(days), MAX_DAYS))
    since = timezone.localdate() - datetime.timedelta(days=days - 1)
    totals: dict[datetime.date, dict] = {}
    fields = [measure for measure, _label, _unit in MEASURES]
    for row in UsageDay.objects.filter(day__gte=since).values("day", *fields):
        day_total = totals.setdefault(row["day"], {"day": row["day"], **dict.fromkeys(fields, 0)})
        for name in fields:
            day_total[name] += row[name]
    return [totals[day] for day in sorted(totals)]
