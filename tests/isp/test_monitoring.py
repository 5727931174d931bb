"""The monitoring services in-process (the worker tests run the same on a real worker): fping's
output read, the probe fence, flap suppression, parent/child and maintenance suppression, one
outage and one ticket per device down, the staff's mail, credits once per service and only with
the setting on, the retention sweep and the fan-out over licensed tenants."""

import asyncio
import calendar
import datetime
import threading
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from apps.core.money import money
from apps.isp import tasks
from apps.isp.models import (
    CreditNote,
    MaintenanceWindow,
    Monitor,
    MonitorEvent,
    Outage,
    OutageCredit,
    OutageEvent,
    ProbeResult,
    Ticket,
)
from apps.isp.services import monitoring, outages, probes
from apps.isp.services.probes import ProbeOutcome
from tests.isp.coa_data import move_isp_to
from tests.isp.factories import ServicePlanFactory, active_service
from tests.isp.monitoring_data import loopback, monitored_device, settings_set

pytestmark = pytest.mark.django_db
UP = ProbeOutcome("x", True, 0.05, 0.0)
LOST = ProbeOutcome("x", False, None, 100.0)


@pytest.fixture
def pro(in_tenant_a, django_capture_on_commit_callbacks):
    move_isp_to("tenant-a", "pro", django_capture_on_commit_callbacks)
    settings_set(failures_before_down=3)


def record(*devices, ok: bool, times: int = 1):
    for _ in range(times):
        monitoring.results_record(outcomes={d.monitor.pk: UP if ok else LOST for d in devices})


def state(device) -> str:
    return Monitor.objects.get(device=device).state


# --- Probes --------------------------------------------------------------------------------------


def test_fpings_summary_is_read_as_latency_and_loss_and_a_silent_target_is_lost():
    output = (
        "127.0.0.1 : 0.04 0.06 0.05\n"
        "127.0.0.2 : - 0.10 -\n"
        "10.9.9.9  : - - -\n"
        "ICMP Host Unreachable from 10.0.0.1 for ICMP Echo sent to 10.9.9.9\n"
    )

    seen = probes.parse_fping(output, ["127.0.0.1", "127.0.0.2", "10.9.9.9", "127.0.0.3"])

    assert seen["127.0.0.1"] == ProbeOutcome("127.0.0.1", True, 0.05, 0.0)
    assert seen["127.0.0.2"] == ProbeOutcome("127.0.0.2", True, 0.1, 66.7)
    assert seen["10.9.9.9"] == ProbeOutcome("10.9.9.9", False, None, 100.0)
    assert seen["127.0.0.3"] == ProbeOutcome("127.0.0.3", False, None, 100.0)


def test_fping_probes_loopback_addresses_and_the_fence_refuses_the_rest():
    seen = probes.icmp_probe(["127.0.0.1", "127.3.2.1", "192.0.2.1", "::1", "8.8.8.8"],
                             count=1, timeout_ms=200)  # fmt: skip

    assert sorted(seen) == ["127.0.0.1", "127.3.2.1", "::1"]
    assert all(outcome.ok for outcome in seen.values())
    assert probes.address_allowed("255.255.255.255", []) is False
    assert probes.address_allowed("224.0.0.1", []) is False
    assert probes.address_allowed("not an address", []) is False


def test_without_fping_a_tcp_connect_stands_in_and_a_refusal_means_the_host_is_there(settings):
    settings.MONITORING_FPING = ""

    seen = probes.icmp_probe(["127.0.0.1", "127.8.8.8"], count=1, timeout_ms=3000)

    assert probes.fping_path() is None
    assert [seen[a].ok for a in ("127.0.0.1", "127.8.8.8")] == [True, True]


def test_the_tcp_probes_run_inside_a_running_event_loop_too(settings):
    """The full suite caught it: a caller with an event loop running (a test client's, an ASGI
    worker's) made asyncio.run refuse to nest."""
    settings.MONITORING_FPING = ""

    async def from_a_loop():
        return probes.icmp_probe(["127.0.0.1"], count=1, timeout_ms=3000)

    seen = {}  # a thread of the test's own: this one may have a loop running already
    caller = threading.Thread(target=lambda: seen.update(asyncio.run(from_a_loop())))
    caller.start()
    caller.join()
    assert seen["127.0.0.1"].ok is True


def test_a_device_outside_the_fence_is_never_probed_and_its_state_stays(pro):
    outside = monitored_device("192.0.2.10")
    inside = monitored_device()

    probed = monitoring.batch_probe(round_id=None, first_pk=outside.monitor.pk,
                                    last_pk=inside.monitor.pk)  # fmt: skip

    assert probed == 1
    assert state(outside) == "unknown"
    assert not ProbeResult.objects.filter(monitor__device=outside).exists()
    assert state(inside) == "up"


# --- States and alerts ---------------------------------------------------------------------------


def test_a_device_is_down_only_after_n_failed_probes_in_a_row(pro):
    router = monitored_device()
    record(router, ok=True)

    record(router, ok=False, times=2)
    flapping = state(router)
    record(router, ok=True)
    record(router, ok=False, times=2)
    still_up = state(router)
    record(router, ok=False)

    assert flapping == "up"
    assert still_up == "up"
    assert state(router) == "down"
    assert list(MonitorEvent.objects.filter(monitor__device=router).values_list("state", flat=True)
                ) == ["down", "up"]  # fmt: skip


def test_a_cpe_behind_a_router_that_is_down_is_suppressed_and_one_outage_counts_both(
    pro, django_capture_on_commit_callbacks, mailoutbox
):
    settings_set(failures_before_down=1, notify_emails="noc@example.com, ops@example.com")
    router = monitored_device()
    switch = monitored_device(role="switch", parent=router)
    cpes = [monitored_device(role="cpe", parent=switch, service=active_service())
            for _ in range(2)]  # fmt: skip
    record(router, switch, *cpes, ok=True)

    with django_capture_on_commit_callbacks(execute=True):
        record(router, switch, *cpes, ok=False)
        first = monitoring.alerts_evaluate()
        again = monitoring.alerts_evaluate()

    outage = Outage.objects.get()
    assert first == {"opened": 1, "resolved": 0, "suppressed": 3}
    assert again["opened"] == 0
    assert outage.device == router
    assert (outage.services_affected, outage.subscribers_affected) == (2, 2)
    ticket = Ticket.objects.get()
    assert (ticket.device, ticket.category, ticket.source, ticket.priority) == (
        router,
        "outage",
        "outage",
        "urgent",
    )
    assert ticket.subject == f"Outage: {router.name} down, 2 subscribers affected"
    assert outage.ticket_reference == ticket.number
    assert list(OutageEvent.objects.filter(kind="ticket").values_list("message", flat=True)) == [
        f"Ticket {ticket.number} opened"
    ]
    assert [m.alert for m in Monitor.objects.filter(device__in=[switch, *cpes])] == [
        "suppressed"
    ] * 3
    assert (
        MonitorEvent.objects.filter(
            monitor__device=cpes[0], message=f"Alert suppressed: {router.name} is down"
        ).count()
        == 1
    )
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["noc@example.com", "ops@example.com"]
    assert "2 subscribers affected" in mailoutbox[0].body


def test_the_ticket_hook_is_called_once_per_outage(pro, monkeypatch):
    settings_set(failures_before_down=1)
    calls = []
    monkeypatch.setattr(outages, "_open_ticket", calls.append)
    router = monitored_device()

    record(router, ok=False)
    monitoring.alerts_evaluate()
    monitoring.alerts_evaluate()
    second = outages.outage_open(device=router, started_at=timezone.now())

    assert [outage.device for outage in calls] == [router]
    assert second is None


def test_a_maintenance_window_silences_the_device_and_what_hangs_off_it(pro):
    settings_set(failures_before_down=1)
    router = monitored_device()
    cpe = monitored_device(role="cpe", parent=router, service=active_service())
    now = timezone.now()
    window = monitoring.maintenance_create(
        device=router, starts_at=now - datetime.timedelta(minutes=5),
        ends_at=now + datetime.timedelta(hours=1), reason="Firmware",
    )  # fmt: skip

    record(router, cpe, ok=False)
    during = monitoring.alerts_evaluate()
    history = MonitorEvent.objects.filter(monitor__device=router)
    events = list(history.values_list("message", flat=True))
    MaintenanceWindow.objects.filter(pk=window.pk).update(
        ends_at=now - datetime.timedelta(minutes=1)
    )
    after = monitoring.alerts_evaluate()

    assert during["opened"] == 0
    assert f"Alert suppressed: {router.name} is in maintenance" in events
    assert after["opened"] == 1
    assert Outage.objects.get().device == router


# --- Credits -------------------------------------------------------------------------------------


def down_for(hours: int, *, credit: bool, minimum: int = 30):
    settings_set(failures_before_down=1, credit_outages=credit, credit_minimum_minutes=minimum)
    plan = ServicePlanFactory(price=Decimal("31.00"))
    router = monitored_device()
    services = [active_service(plan=plan) for _ in range(2)]
    for service in services:
        monitored_device(role="cpe", parent=router, service=service)
    record(router, ok=False)
    monitoring.alerts_evaluate()
    Outage.objects.update(started_at=timezone.now() - datetime.timedelta(hours=hours))
    record(router, ok=True)
    return router, services


def test_an_outage_credits_each_affected_service_once_for_its_length(pro):
    router, services = down_for(6, credit=True)

    for _ in range(3):
        monitoring.alerts_evaluate()
    outages.outage_credit(outage=Outage.objects.get())  # a retry after the fact
    outages.credits_catch_up()

    outage = Outage.objects.get()
    notes = CreditNote.objects.filter(customer__in=[s.customer for s in services])
    length = outage.ended_at - outage.started_at
    start = timezone.localdate(outage.started_at)  # billing day 1: the calendar month
    days = calendar.monthrange(start.year, start.month)[1]
    assert outage.ended_at is not None
    assert outage.credited_at is not None
    assert sorted(OutageCredit.objects.values_list("service_id", flat=True)) == sorted(
        s.pk for s in services
    )
    assert notes.count() == 2
    assert {note.customer_id for note in notes} == {s.customer_id for s in services}
    line = notes.first().lines.get()
    assert line.kind == "adjustment"
    assert f"Outage of {router.name}" in line.description
    assert Decimal("0") < line.amount < Decimal("1.00")  # six hours of a 31.00 month
    assert line.amount == money(Decimal("31.00") * Decimal(length / datetime.timedelta(days)))


def test_no_credit_without_the_setting_or_for_a_short_outage(pro):
    down_for(6, credit=False)
    monitoring.alerts_evaluate()
    off = CreditNote.objects.count()
    Outage.objects.all().delete()
    down_for(0, credit=True, minimum=30)
    monitoring.alerts_evaluate()

    assert off == 0
    assert CreditNote.objects.count() == 0
    assert not OutageCredit.objects.exists()


# --- Retention and schedule ----------------------------------------------------------------------


def test_the_retention_sweep_deletes_history_past_the_period_only(pro):
    settings_set(retention_days=7)
    monitor = monitored_device().monitor
    now = timezone.now()
    old, recent = (ProbeResult.objects.create(monitor=monitor, at=now - datetime.timedelta(days=d),
                                              ok=True, latency_ms=0.1, loss_percent=0)
                   for d in (8, 6))  # fmt: skip
    MonitorEvent.objects.create(monitor=monitor, at=now - datetime.timedelta(days=9), state="up")

    deleted = monitoring.history_prune(now=now)

    assert deleted == 2
    assert list(ProbeResult.objects.values_list("pk", flat=True)) == [recent.pk]
    assert old.pk != recent.pk


def test_a_round_is_not_started_while_the_last_one_runs(pro, monkeypatch):
    sent = []
    monkeypatch.setattr("apps.isp.services.monitoring.dispatch", lambda *a: sent.append(a))
    for _ in range(3):
        monitored_device(address=loopback())

    first = monitoring.round_start(batch_size=2)
    second = monitoring.round_start(batch_size=2)

    assert (first.targets, first.batches) == (3, 2)
    assert second is None
    assert [a[0] for a in sent] == [monitoring.BATCH_TASK] * 2


def test_the_rounds_fan_out_to_tenants_with_monitoring_only(
    tenant_a, tenant_b, monkeypatch, django_capture_on_commit_callbacks
):
    move_isp_to("tenant-a", "pro", django_capture_on_commit_callbacks)
    sent = []
    monkeypatch.setattr(
        tasks.monitoring_round, "delay", lambda: sent.append(connection.schema_name)
    )

    count = tasks.monitoring_fan_out()

    assert count == len(sent)
    assert tenant_a.schema_name in sent
    assert tenant_b.schema_name not in sent  # Basic: no isp.monitoring
