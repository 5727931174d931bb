"""Demo data for monitoring (DESIGN.md §10): the demo network's core router, its OLTs and a few
CPEs probed at loopback addresses of the tenant's own (127.0.0.0/8 answers on Linux, so the
live rounds of `make run` find them up and never probe anyone's real network), a day of probe
history (the device pages' latency charts), and a past outage of an OLT: its services
affected, the CPEs behind it suppressed, the ticket it opened resolved, its timeline ended.

Through the services where they exist (monitor_create, outage_open and outage_resolve, the
ticket services); the history rows are written in bulk as a probe round would. Idempotent: a
tenant that probes anything is left alone. Skipped on a plan without `isp.monitoring`."""

import datetime
import random

from django.db import transaction
from django.utils import timezone

from apps.core.exceptions import DomainError
from apps.core.kit.writes import record_create
from apps.isp.constants import MONITORING
from apps.isp.models import (
    Device,
    IPAddress,
    Monitor,
    MonitorEvent,
    OutageEvent,
    ProbeResult,
    Ticket,
)
from apps.isp.services import outages, support
from apps.isp.services.inventory import device_update
from apps.isp.services.monitoring import monitor_create
from apps.platform.licensing.guards import ensure_feature

__all__ = ["LOOPBACK_NETWORKS", "monitoring_demo_ensure"]

ACTOR = "demo"
#: Each demo tenant's probe targets (the NAS of apps/isp/demo_radius.py is at 127.0.0.1/.2).
LOOPBACK_NETWORKS = {"abc-corp": "127.10.0", "xyz-isp": "127.20.0"}
OTHER_NETWORK = "127.30.0"
#: Probe history seeded per device: every 5 minutes for a day.
HISTORY = datetime.timedelta(hours=24)
STEP = datetime.timedelta(minutes=5)
#: CPEs probed (besides the core router and the OLTs).
PROBED_CPES = 8
#: The past outage: the second OLT, this long ago, for this long.
OUTAGE_AGO = datetime.timedelta(hours=19)
OUTAGE_LENGTH = datetime.timedelta(minutes=42)
#: Typical round-trip times (ms) by role, for the charts.
LATENCY = {"router": (0.8, 2.5), "olt": (1.5, 4.0), "cpe": (3.0, 12.0)}


def monitoring_demo_ensure(*, demo) -> None:
    if Monitor.objects.exists() or not Device.objects.filter(name="core-1").exists():
        return
    try:
        ensure_feature(MONITORING)
    except DomainError:  # the plan has no monitoring: nothing to show
        return
    with transaction.atomic():
        _seed(demo)


def _target(prefix: str, n: int) -> IPAddress:
    return record_create(
        IPAddress(address=f"{prefix}.{n}", status=IPAddress.Status.ACTIVE,
                  description="Probe target (loopback stand-in, demo)"),
        actor=ACTOR,
    )  # fmt: skip


def _seed(demo) -> None:
    rng = random.Random(f"dotmac-monitoring-{demo.slug}")
    prefix = LOOPBACK_NETWORKS.get(demo.slug, OTHER_NETWORK)
    core = Device.objects.get(name="core-1")
    olts = list(Device.objects.filter(role=Device.Role.OLT).order_by("name"))
    cpes = [  # a few on each OLT
        cpe
        for olt in olts
        for cpe in Device.objects.filter(role=Device.Role.CPE, parent=olt).order_by("pk")[
            : PROBED_CPES // max(1, len(olts))
        ]
    ]
    probed = [core, *olts, *cpes]
    for n, device in enumerate(probed, start=1):
        device_update(device=device, management_ip=_target(prefix, n), actor=ACTOR)
        monitor_create(device=device, actor=ACTOR)
    now = timezone.now().replace(second=0, microsecond=0)
    down_from = now - OUTAGE_AGO
    down_until = down_from + OUTAGE_LENGTH
    behind = set(outages.devices_behind(olts[-1])) if olts else set()
    _history(rng, probed, behind, now, down_from, down_until)
    if olts:
        _past_outage(olts[-1], behind, probed, down_from, down_until)


def _history(rng, probed, behind, now, down_from, down_until) -> None:
    """A probe every STEP over the last day; the devices behind the OLT that failed answer
    nothing while it was down. Each monitor ends up as the last probe left it."""
    results = []
    for device in probed:
        low, high = LATENCY.get(device.role, LATENCY["cpe"])
        at, last = now - HISTORY, None
        while at <= now:
            failed = device.pk in behind and down_from <= at < down_until
            last = None if failed else round(rng.uniform(low, high), 3)
            results.append(ProbeResult(monitor=device.monitor, at=at, ok=not failed,
                                       latency_ms=last,
                                       loss_percent=100.0 if failed else 0.0))  # fmt: skip
            at += STEP
        since = down_until if device.pk in behind else now - HISTORY
        Monitor.objects.filter(pk=device.monitor.pk).update(
            state=Monitor.State.UP, alert=Monitor.Alert.NONE, last_probed_at=now,
            last_latency_ms=last, last_loss_percent=0.0, state_since=since,
        )  # fmt: skip
    ProbeResult.objects.bulk_create(results, batch_size=5000)


def _past_outage(olt: Device, behind: set, probed, down_from, down_until) -> None:
    """The OLT's outage as the rounds recorded it: down, its CPEs suppressed, the outage and
    its ticket opened, then all up again and the ticket resolved."""
    events = []
    for device in probed:
        if device.pk not in behind:
            continue
        message = "" if device.pk == olt.pk else f"Alert suppressed: {olt.name} is down"
        events += [
            MonitorEvent(monitor=device.monitor, at=down_from, state=Monitor.State.DOWN,
                         message="Down: no answer to 3 probes in a row"),
            MonitorEvent(monitor=device.monitor, at=down_until, state=Monitor.State.UP,
                         message="Up: answering again"),
        ]  # fmt: skip
        if message:
            events.append(MonitorEvent(monitor=device.monitor, at=down_from,
                                       state=Monitor.State.DOWN, message=message))  # fmt: skip
    MonitorEvent.objects.bulk_create(events)
    outage = outages.outage_open(device=olt, started_at=down_from)
    if outage is None:
        return
    ticket = Ticket.objects.filter(source=Ticket.Source.OUTAGE, device=olt).order_by("-pk").first()
    if ticket is not None:
        support.ticket_reply(ticket=ticket, body=f"Power cut at {olt.site or 'the cabinet'}: "
                             "the OLT rebooted on the UPS's return.", internal=True,
                             actor=ACTOR)  # fmt: skip
        support.ticket_resolve(ticket=ticket, note="Power is back and every line is up again. "
                               "Sorry for the interruption.", actor=ACTOR)  # fmt: skip
    outages.outage_resolve(outage=outage, ended_at=down_until)
    OutageEvent.objects.filter(outage=outage).update(at=down_from)
    OutageEvent.objects.filter(outage=outage, kind=OutageEvent.Kind.RESOLVED).update(at=down_until)
