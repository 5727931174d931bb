"""Reads of the monitoring pages: the network's status (how many devices up, down, not probed
yet; what is down now; the open and recent outages) and a device's latency over a window."""

import datetime
from dataclasses import dataclass, field

from django.db.models import Count
from django.utils import timezone

from apps.isp.models import MaintenanceWindow, Monitor, Outage, ProbeResult, ProbeRound

__all__ = ["NetworkStatus", "latency_points", "network_status"]

#: Rows a status list shows.
SHOWN = 50
#: The longest latency window a page draws, and the points it draws at most.
MAX_HOURS = 24 * 7
MAX_POINTS = 2000


@dataclass
class NetworkStatus:
    counts: dict = field(default_factory=dict)
    down: list = field(default_factory=list)
    open_outages: list = field(default_factory=list)
    recent_outages: list = field(default_factory=list)
    maintenance: list = field(default_factory=list)
    last_round: ProbeRound | None = None

    @property
    def monitored(self) -> int:
        return sum(self.counts.values())

    @property
    def subscribers_affected(self) -> int:
        return sum(outage.subscribers_affected for outage in self.open_outages)


def network_status(*, now=None) -> NetworkStatus:
    now = now or timezone.now()
    counts = dict(Monitor.objects.filter(enabled=True).values_list("state").annotate(n=Count("pk")))
    return NetworkStatus(
        counts={state: counts.get(state, 0) for state in Monitor.State.values},
        down=list(
            Monitor.objects.filter(enabled=True, state=Monitor.State.DOWN)
            .select_related("device__management_ip")
            .order_by("state_since", "pk")[:SHOWN]
        ),
        open_outages=list(
            Outage.objects.filter(ended_at__isnull=True).select_related("device")[:SHOWN]
        ),
        recent_outages=list(
            Outage.objects.filter(ended_at__isnull=False).select_related("device")[:20]
        ),
        maintenance=list(
            MaintenanceWindow.objects.filter(ends_at__gt=now)
            .select_related("device")
            .order_by("starts_at")[:20]
        ),
        last_round=ProbeRound.objects.first(),
    )


def latency_points(monitor: Monitor, *, hours: int = 24, now=None) -> list[tuple]:
    """(at, latency ms or None for a failed probe) of the last `hours`, oldest first, thinned
    to at most MAX_POINTS (every n-th)."""
    now = now or timezone.now()
    hours = max(1, min(hours, MAX_HOURS))
    rows = (
        ProbeResult.objects.filter(monitor=monitor, at__gte=now - datetime.timedelta(hours=hours))
        .order_by("at")
        .values_list("at", "ok", "latency_ms")
    )
    total = rows.count()
    step = max(1, -(-total // MAX_POINTS))
    points = list(rows)[::step] if step > 1 else list(rows)
    return [(at, latency if ok else None) for at, ok, latency in points]
