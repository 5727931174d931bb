"""The metering beat: one measurement task per tenant (DESIGN.md §6, §9), in the public schema
where the series lives. Thin wrappers around services.usage_measure."""

import datetime

from celery import shared_task
from django.utils import timezone

from apps.platform.metering import services
from apps.platform.metering.selectors import tenants_metered
from apps.platform.tenants.models import Tenant


@shared_task(name="metering.measure_tenant")
def measure_tenant(tenant_id: int, day: str) -> int | None:
    tenant = Tenant.objects.filter(pk=tenant_id).first()
    if tenant is None:
        return None
    return services.usage_measure(tenant=tenant, day=datetime.date.fromisoformat(day)).pk


@shared_task(name="metering.measure_all")
def measure_all(days_ago: int = 0) -> int:
    """Every metered tenant's row of today (hourly), or of yesterday (`days_ago=1`, just after
    midnight: its counters complete); then the series past its retention pruned."""
    day = timezone.localdate() - datetime.timedelta(days=max(0, min(int(days_ago), 7)))
    sent = 0
    for tenant_id in tenants_metered().values_list("pk", flat=True):
        measure_tenant.delay(tenant_id, day.isoformat())
        sent += 1
    services.usage_prune()
    return sent
