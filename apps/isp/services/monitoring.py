"""Monitoring: which devices are probed (within the plan's `isp.max_devices`), the probe rounds
the schedule runs, and what their results do to each device's state.

A round (`round_start`, every minute from celery beat through apps.isp.tasks) splits the
tenant's monitored devices into batches of `MONITORING_BATCH_SIZE` by id range, one task per
batch, so that several workers probe at once (one fping call per batch). Each batch records
its results (`results_record`: history rows, the state machine, in one transaction under row
locks) and counts itself done; the batch that completes the round decides the alerts
(`alerts_evaluate`), once all states of the round are in. So a router and its CPEs probed in
different batches are judged together: a CPE behind a router that is down is suppressed
(LibreNMS #18979), whichever batch finished first.

States: up at the first answered probe; down after `failures_before_down` failed probes in a
row (a single lost probe is a flap, not an outage).

SNMP (a monitor's `snmp_enabled`): each batch also reads the agents of its SNMP monitors after
the probes (apps.isp.services.probes.snmp_read, the same fence and timeout); what was read, or
why not, goes on the probe result, and an uptime lower than the monitor's last one is recorded
as a reboot. It never moves the state: the ICMP / TCP probe does."""

import datetime
import logging
from copy import copy

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone

from apps.core.audit import UPDATE, audit_record
from apps.core.dispatch import dispatch
from apps.core.kit.writes import record_create, record_delete, record_update
from apps.isp.constants import MAX_DEVICES, MONITORING
from apps.isp.models import (
    Device,
    MaintenanceWindow,
    Monitor,
    MonitorEvent,
    MonitoringSettings,
    Outage,
    ProbeResult,
    ProbeRound,
)
from apps.isp.services import outages, probes
from apps.platform.licensing.guards import ensure_feature, within_limit

log = logging.getLogger(__name__)

__all__ = [
    "BATCH_TASK",
    "alerts_evaluate",
    "batch_probe",
    "history_prune",
    "maintenance_create",
    "maintenance_delete",
    "maintenance_update",
    "monitor_create",
    "monitor_delete",
    "monitor_update",
    "monitored_count",
    "monitoring_settings",
    "probe_now",
    "results_record",
    "round_start",
]

BATCH_TASK = "isp.monitoring_probe_batch"
#: A round not finished after this long is given up (a lost batch task): the next one starts.
ROUND_STALE = datetime.timedelta(minutes=5)
#: The deepest uplink chain followed (as apps.isp.services.inventory).
MAX_DEPTH = 32
#: The longest maintenance window.
MAX_WINDOW = datetime.timedelta(days=31)
#: History rows deleted per statement by the retention sweep.
PRUNE_CHUNK = 50_000
#: sysUpTime is a 32-bit count of hundredths of a second: it wraps after about 497 days.
UPTIME_WRAP = 2**32


def monitoring_settings() -> MonitoringSettings:
    return MonitoringSettings.objects.get_or_create(pk=1)[0]


def monitored_count() -> int:
    """Usage of `isp.max_devices`: the devices probed (an enabled monitor, not retired)."""
    return (
        Monitor.objects.filter(enabled=True).exclude(device__status=Device.Status.RETIRED).count()
    )


# --- What is probed ------------------------------------------------------------------------------


def _check(monitor: Monitor) -> None:
    problems = {}
    if monitor.device.management_ip_id is None:
        problems["device"] = "A device is probed at its management IP: give it one first."
    if monitor.method == Monitor.Method.TCP and monitor.tcp_port is None:
        problems["tcp_port"] = "A TCP probe needs the port to connect to."
    if monitor.method == Monitor.Method.ICMP:
        monitor.tcp_port = None
    community = monitor.snmp_community or ""
    if monitor.snmp_enabled and not community:
        problems["snmp_community"] = "Reading SNMP needs the device's v2c community."
    elif community and not (community.isascii() and community.isprintable()):
        problems["snmp_community"] = "An SNMP community is printable ASCII."
    if problems:
        raise ValidationError(problems)


@transaction.atomic
def monitor_create(*, device: Device, actor=None, **fields) -> Monitor:
    """Start probing a device (its management IP), within the plan's `isp.max_devices`."""
    ensure_feature(MONITORING)
    monitor = Monitor(device=device, **fields)
    _check(monitor)
    if monitor.enabled:
        with within_limit(MAX_DEVICES):
            return record_create(monitor, actor=actor)
    return record_create(monitor, actor=actor)


@transaction.atomic
def monitor_update(*, monitor: Monitor, actor=None, **fields) -> Monitor:
    ensure_feature(MONITORING)
    proposed = copy(monitor)
    for name, value in fields.items():
        setattr(proposed, name, value)
    _check(proposed)
    if fields.get("enabled") and not monitor.enabled:
        with within_limit(MAX_DEVICES):  # a paused monitor switched on counts again
            record_update(monitor, fields, actor=actor)
            return monitor
    record_update(monitor, fields, actor=actor)
    return monitor


def monitor_delete(*, monitor: Monitor, actor=None) -> None:
    record_delete(monitor, actor=actor)


def _window_check(window: MaintenanceWindow) -> None:
    if window.starts_at and window.ends_at and window.ends_at <= window.starts_at:
        raise ValidationError({"ends_at": "A maintenance window ends after it starts."})
    if window.starts_at and window.ends_at and window.ends_at - window.starts_at > MAX_WINDOW:
        raise ValidationError(
            {"ends_at": f"A maintenance window lasts at most {MAX_WINDOW.days} days."}
        )


@transaction.atomic
def maintenance_create(*, actor=None, **fields) -> MaintenanceWindow:
    """Plan work on a device: it and what hangs off it raise no alert while it lasts."""
    ensure_feature(MONITORING)
    window = MaintenanceWindow(**fields)
    _window_check(window)
    return record_create(window, actor=actor)


@transaction.atomic
def maintenance_update(*, window: MaintenanceWindow, actor=None, **fields) -> MaintenanceWindow:
    ensure_feature(MONITORING)
    proposed = copy(window)
    for name, value in fields.items():
        setattr(proposed, name, value)
    _window_check(proposed)
    record_update(window, fields, actor=actor)
    return window


def maintenance_delete(*, window: MaintenanceWindow, actor=None) -> None:
    record_delete(window, actor=actor)


# --- Rounds --------------------------------------------------------------------------------------


def _probed():
    return (
        Monitor.objects.filter(enabled=True, device__management_ip__isnull=False)
        .exclude(device__status=Device.Status.RETIRED)
        .order_by("pk")
    )


@transaction.atomic
def round_start(*, batch_size: int | None = None) -> ProbeRound | None:
    """Record a round and send one batch task per id range (when the transaction commits);
    None while the previous round is still running (not stale)."""
    now = timezone.now()
    running = ProbeRound.objects.select_for_update().filter(finished_at__isnull=True).first()
    if running is not None:
        if now - running.started_at < ROUND_STALE:
            return None
        ProbeRound.objects.filter(pk=running.pk).update(finished_at=now)
        alerts_evaluate(now=now)  # what the lost batch left undecided
    size = max(1, batch_size or settings.MONITORING_BATCH_SIZE)
    ids = list(_probed().values_list("pk", flat=True))
    ranges = [(ids[i], ids[min(i + size, len(ids)) - 1]) for i in range(0, len(ids), size)]
    probe_round = ProbeRound.objects.create(targets=len(ids), batches=len(ranges))
    if not ranges:
        ProbeRound.objects.filter(pk=probe_round.pk).update(finished_at=now)
        alerts_evaluate(now=now)
    for first, last in ranges:
        dispatch(BATCH_TASK, probe_round.pk, first, last)
    return probe_round


def batch_probe(*, round_id: int | None, first_pk: int, last_pk: int) -> int:
    """Probe the monitored devices with ids first_pk..last_pk (one fping call for the ICMP
    ones), record the results, count the batch done; the round's last batch decides the
    alerts. Answers how many devices were probed."""
    config = monitoring_settings()
    rows = list(
        _probed()
        .filter(pk__gte=first_pk, pk__lte=last_pk)
        .values_list("pk", "method", "tcp_port", "device__management_ip__address")
    )
    snmp_of = {
        pk: (port, community)
        for pk, port, community in _probed()
        .filter(pk__gte=first_pk, pk__lte=last_pk, snmp_enabled=True)
        .values_list("pk", "snmp_port", "snmp_community")
    }
    targets = {pk: str(address) for pk, _, _, address in rows}
    icmp = [targets[pk] for pk, method, _, _ in rows if method == Monitor.Method.ICMP]
    tcp = [(targets[pk], port) for pk, method, port, _ in rows if method == Monitor.Method.TCP]
    try:
        seen = probes.icmp_probe(icmp, count=config.pings_per_probe, timeout_ms=config.timeout_ms)
        by_port = probes.tcp_probe(tcp, timeout_ms=config.timeout_ms) if tcp else {}
        outcomes = {}
        for pk, method, port, _ in rows:
            icmp_kind = method == Monitor.Method.ICMP
            source, key = (seen, targets[pk]) if icmp_kind else (by_port, (targets[pk], port))
            if key in source:  # a refused address has no outcome: its state stays
                outcomes[pk] = source[key]
        snmp = _snmp_readings(
            [pk for pk in snmp_of if pk in outcomes], targets, snmp_of, config.timeout_ms
        )
        results_record(outcomes=outcomes, config=config, snmp=snmp)
    finally:  # a batch that failed still counts: the round's alerts are decided all the same
        if round_id is not None and _batch_done(round_id):
            try:
                alerts_evaluate()
            finally:  # finished once its alerts are decided: a round seen finished is whole
                ProbeRound.objects.filter(pk=round_id, finished_at__isnull=True).update(
                    finished_at=timezone.now()
                )
    return len(outcomes)


def _snmp_readings(pks: list[int], targets: dict, snmp_of: dict, timeout_ms: int) -> dict:
    """The SNMP readings of the monitors `pks` ({monitor id: SnmpReading}); a read that broke
    altogether is a failed reading of each (the probe's results are recorded all the same)."""
    wanted = {pk: (targets[pk], *snmp_of[pk]) for pk in pks if snmp_of[pk][1]}
    if not wanted:
        return {}
    try:
        return probes.snmp_read(wanted, timeout_ms=timeout_ms)
    except Exception as error:  # noqa: BLE001 - SNMP is optional: never lose the probe
        log.exception("SNMP reads of a probe batch failed")
        message = f"SNMP read failed: {error}"[:200]
        return {pk: probes.SnmpReading(wanted[pk][0], False, error=message) for pk in wanted}


def _rebooted(previous: int | None, at, reading, now) -> bool:
    """Whether an uptime read lower than the last one is a reboot, not the 32-bit counter
    wrapping (a wrap was due when the last uptime plus the time since reaches 2^32)."""
    if previous is None or reading.uptime is None or reading.uptime >= previous:
        return False
    elapsed = int((now - at).total_seconds() * 100) if at else 0
    return previous + elapsed < UPTIME_WRAP


def _uptime_text(ticks: int) -> str:
    return str(datetime.timedelta(seconds=ticks // 100))


def _batch_done(round_id: int) -> bool:
    """Count one batch of the round done; True for the one that completes it (exactly one:
    the increment is one statement)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {ProbeRound._meta.db_table} SET batches_done = batches_done + 1 "  # noqa: S608
            "WHERE id = %s AND finished_at IS NULL RETURNING batches_done, batches",
            [round_id],
        )
        row = cursor.fetchone()
    return row is not None and row[0] == row[1]


@transaction.atomic
def results_record(
    *, outcomes: dict, config: MonitoringSettings | None = None, now=None, snmp: dict | None = None
) -> list:
    """Record probe outcomes ({monitor id: ProbeOutcome}): a history row each, and the state
    machine (failures counted, down after `failures_before_down`, up at once). Rows another
    worker holds are skipped (a duplicate batch). `snmp` ({monitor id: SnmpReading}) goes on the
    same rows, and an uptime that went down since the last read is a reboot event. Answers the
    (monitor id, new state) changes."""
    config = config or monitoring_settings()
    now = now or timezone.now()
    snmp = snmp or {}
    current = {
        pk: (state, failures, uptime, uptime_at)
        for pk, state, failures, uptime, uptime_at in Monitor.objects.select_for_update(
            skip_locked=True
        )
        .filter(pk__in=list(outcomes))
        .order_by("pk")
        .values_list("pk", "state", "consecutive_failures", "last_snmp_uptime", "last_snmp_at")
    }
    ids, failures, latencies, losses, states, alerts, changed = [], [], [], [], [], [], []
    uptimes, uptimes_at = [], []
    history, events, changes = [], [], []
    for pk, (state, failed, last_uptime, last_uptime_at) in current.items():
        outcome = outcomes[pk]
        failed = 0 if outcome.ok else failed + 1
        new_state = state
        if outcome.ok:
            new_state = Monitor.State.UP
        elif failed >= config.failures_before_down:
            new_state = Monitor.State.DOWN
        alert = None
        if new_state != state:
            changes.append((pk, new_state))
            alert = Monitor.Alert.PENDING if new_state == Monitor.State.DOWN else Monitor.Alert.NONE
            message = (
                f"Down after {failed} failed probes"
                if new_state == Monitor.State.DOWN
                else f"Up ({outcome.latency_ms} ms)"
            )
            events.append(MonitorEvent(monitor_id=pk, at=now, state=new_state, message=message))
        ids.append(pk)
        failures.append(failed)
        latencies.append(outcome.latency_ms)
        losses.append(outcome.loss_percent)
        states.append(new_state)
        alerts.append(alert)
        changed.append(new_state != state)
        result = ProbeResult(monitor_id=pk, at=now, ok=outcome.ok, latency_ms=outcome.latency_ms,
                             loss_percent=outcome.loss_percent)  # fmt: skip
        reading = snmp.get(pk)
        read = reading is not None and reading.ok
        if reading is not None:
            result.snmp_ok, result.snmp_error = reading.ok, reading.error[:200]
            result.snmp_uptime = reading.uptime
            result.snmp_in_octets, result.snmp_out_octets = reading.in_octets, reading.out_octets
        if read and _rebooted(last_uptime, last_uptime_at, reading, now):
            events.append(
                MonitorEvent(monitor_id=pk, at=now, kind=MonitorEvent.Kind.REBOOT, state=new_state,
                             message=f"Rebooted: SNMP uptime {_uptime_text(reading.uptime)}, "
                             f"was {_uptime_text(last_uptime)}")
            )  # fmt: skip
        uptimes.append(reading.uptime if read else None)
        uptimes_at.append(now if read else None)
        history.append(result)
    if not ids:
        return []
    # One statement for the whole batch (bulk_update's CASE per row is far slower at 5,000).
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {Monitor._meta.db_table} AS m SET consecutive_failures = v.failures, "  # noqa: S608
            "last_latency_ms = v.latency, last_loss_percent = v.loss, last_probed_at = %s, "
            "state = v.state, alert = COALESCE(v.alert, m.alert), "
            "state_since = CASE WHEN v.changed THEN %s ELSE m.state_since END, "
            "last_snmp_uptime = COALESCE(v.uptime, m.last_snmp_uptime), "
            "last_snmp_at = COALESCE(v.uptime_at, m.last_snmp_at) "
            "FROM unnest(%s::int[], %s::int[], %s::float8[], %s::float8[], %s::text[], "
            "%s::text[], %s::bool[], %s::bigint[], %s::timestamptz[]) "
            "AS v(id, failures, latency, loss, state, alert, changed, uptime, uptime_at) "
            "WHERE m.id = v.id",
            [
                now,
                now,
                ids,
                failures,
                latencies,
                losses,
                states,
                alerts,
                changed,
                uptimes,
                uptimes_at,
            ],  # fmt: skip
        )
    ProbeResult.objects.bulk_create(history, batch_size=5000)
    MonitorEvent.objects.bulk_create(events)
    return changes


# --- Alerts --------------------------------------------------------------------------------------


def _ancestors(device_id: int, parents: dict) -> list[int]:
    chain, parent = [], parents.get(device_id)
    while parent is not None and len(chain) < MAX_DEPTH and parent not in chain:
        chain.append(parent)
        parent = parents.get(parent)
    return chain


def alerts_evaluate(*, now=None) -> dict:
    """Decide what the current states mean: an open outage whose device answers again is
    resolved (and credited, when the tenant credits outages); a device down and not yet
    decided opens an outage, unless a device it hangs off is down too or a maintenance window
    covers it or what it hangs off (then its alert is suppressed, said once on its history)."""
    now = now or timezone.now()
    parents = dict(Device.objects.values_list("pk", "parent_id"))
    states = dict(Monitor.objects.filter(enabled=True).values_list("device_id", "state"))
    names = {}
    in_maintenance = set(
        MaintenanceWindow.objects.filter(starts_at__lte=now, ends_at__gt=now).values_list(
            "device_id", flat=True
        )
    )
    figures = {"opened": 0, "resolved": 0, "suppressed": 0}
    for outage in Outage.objects.filter(ended_at__isnull=True).select_related("device__monitor"):
        if states.get(outage.device_id) != Monitor.State.DOWN:
            monitor = getattr(outage.device, "monitor", None)
            ended = monitor.state_since if monitor and monitor.state == "up" else now
            if outages.outage_resolve(outage=outage, ended_at=max(ended or now, outage.started_at)):
                figures["resolved"] += 1
    undecided = Monitor.objects.filter(
        enabled=True, state=Monitor.State.DOWN,
        alert__in=[Monitor.Alert.PENDING, Monitor.Alert.SUPPRESSED],
    ).select_related("device").order_by("pk")  # fmt: skip
    for monitor in undecided:
        chain = _ancestors(monitor.device_id, parents)
        down_above = [d for d in chain if states.get(d) == Monitor.State.DOWN]
        maintained = [d for d in [monitor.device_id, *chain] if d in in_maintenance]
        if down_above or maintained:
            figures["suppressed"] += 1
            if monitor.alert != Monitor.Alert.SUPPRESSED:
                cause = down_above[-1] if down_above else maintained[0]
                if cause not in names:
                    names[cause] = Device.objects.values_list("name", flat=True).get(pk=cause)
                why = "is down" if down_above else "is in maintenance"
                _set_alert(monitor, Monitor.Alert.SUPPRESSED, f"Alert suppressed: "
                           f"{names[cause]} {why}", now)  # fmt: skip
            continue
        outage = outages.outage_open(device=monitor.device, started_at=monitor.state_since or now)
        _set_alert(monitor, Monitor.Alert.OUTAGE, "", now)
        figures["opened"] += outage is not None
    outages.credits_catch_up()
    return figures


def _set_alert(monitor: Monitor, alert: str, message: str, now) -> None:
    with transaction.atomic():
        updated = Monitor.objects.filter(pk=monitor.pk, state=Monitor.State.DOWN).update(
            alert=alert
        )
        if updated and message:
            MonitorEvent.objects.create(
                monitor=monitor, at=now, state=Monitor.State.DOWN, message=message[:300]
            )


# --- Retention -----------------------------------------------------------------------------------


def history_prune(*, now=None) -> int:
    """Delete probe results and state changes older than the retention period, in chunks (a
    statement never holds a lock over millions of rows). Answers how many were deleted."""
    now = now or timezone.now()
    cutoff = now - datetime.timedelta(days=monitoring_settings().retention_days)
    deleted = 0
    for model in (ProbeResult, MonitorEvent):
        while True:
            chunk = list(model.objects.filter(at__lt=cutoff).values_list("pk", flat=True)[
                :PRUNE_CHUNK])  # fmt: skip
            if not chunk:
                break
            deleted += model.objects.filter(pk__in=chunk).delete()[0]
    ProbeRound.objects.filter(started_at__lt=cutoff).delete()
    return deleted


def probe_now(*, monitor: Monitor, actor=None) -> Monitor:
    """Probe one device at once (a button on its page), without waiting for the round; the
    probe is audited as the user's (its result, state change and any outage hang off it)."""
    before = monitor.state
    batch_probe(round_id=None, first_pk=monitor.pk, last_pk=monitor.pk)
    alerts_evaluate()
    monitor.refresh_from_db()
    audit_record(
        action=UPDATE, instance=monitor, changes={"probed": [before, monitor.state]}, actor=actor
    )
    return monitor
