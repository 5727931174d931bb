"""The monitoring panel of a device's page (/isp/network/devices/<pk>/): its state, a latency
chart of the last day, its latest SNMP read (when it reads SNMP), its state changes and
outages; nothing off plan (`isp.monitoring`)."""

import datetime

from django.utils import timezone

from apps.isp.constants import MONITORING
from apps.isp.models import Device, Monitor, MonitorEvent, Outage, ProbeResult
from apps.isp.selectors.monitoring import latency_points
from apps.isp.views.charts import latency_chart
from apps.platform.licensing.guards import current_entitlements

#: State changes a device's page lists.
EVENTS_SHOWN = 20


def monitoring_licensed() -> bool:
    return current_entitlements().has_feature(MONITORING)


def device_monitoring(device: Device, hours: int = 24) -> dict:
    """The monitoring part of a device's page (empty off plan or when it is not probed)."""
    if not monitoring_licensed():
        return {}
    monitor = Monitor.objects.filter(device=device).first()
    context = {"monitoring_licensed": True, "monitor": monitor}
    if monitor is None:
        return context
    now = timezone.now()
    start = now - datetime.timedelta(hours=hours)
    points = latency_points(monitor, hours=hours, now=now)
    context.update(
        latency_chart=latency_chart(
            points, start=start, end=now, title=f"Latency of {device.name}, last {hours} h"
        ),
        probes=len(points),
        events=MonitorEvent.objects.filter(monitor=monitor)[:EVENTS_SHOWN],
        outages=Outage.objects.filter(device=device)[:10],
        snmp_latest=(
            ProbeResult.objects.filter(monitor=monitor, snmp_ok__isnull=False).first()
            if monitor.snmp_enabled
            else None
        ),
    )
    return context
