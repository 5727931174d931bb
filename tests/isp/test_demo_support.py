"""The demo's support desk, Tom's day and monitoring: tickets in every state, Tom's jobs of today
in time order (an installation of a pending service among them), devices probed at loopback
addresses with a day of history and a past outage whose ticket is resolved; once however often
it runs. A plan without monitoring gets no monitors."""

import ipaddress

from django.utils import timezone

from apps.core.demo import DemoTenant, DemoUser
from apps.isp import demo
from apps.isp.demo_monitoring import monitoring_demo_ensure
from apps.isp.models import (
    Monitor,
    MonitorEvent,
    Outage,
    ProbeResult,
    SlaPolicy,
    SupportTeam,
    Ticket,
    WorkOrder,
)
from apps.isp.selectors.field import jobs_of_day
from tests.isp.coa_data import move_isp_to
from tests.isp.network_factories import DeviceFactory
from tests.isp.support_factories import technician

LOOPBACK = ipaddress.ip_network("127.0.0.0/8")


def _counts():
    return (Ticket.objects.count(), WorkOrder.objects.count(), SupportTeam.objects.count(),
            Monitor.objects.count(), ProbeResult.objects.count(),
            Outage.objects.count())  # fmt: skip


def test_the_demo_has_tickets_in_every_state_toms_jobs_for_today_and_a_monitored_network(
    in_tenant_a, monkeypatch, django_capture_on_commit_callbacks
):
    move_isp_to("tenant-a", "pro", django_capture_on_commit_callbacks)
    monkeypatch.setitem(demo.CUSTOMERS, "tenant-a", 30)
    tom = technician("tom")
    tenant = DemoTenant(slug="tenant-a", name="A", apps=("isp",),
                        users=(DemoUser("tom", "Tom", "Baker", "Field Tech"),))  # fmt: skip

    demo.isp_demo_ensure(tenant=in_tenant_a, demo=tenant, password="x")
    counts = _counts()
    demo.isp_demo_ensure(tenant=in_tenant_a, demo=tenant, password="x")

    assert _counts() == counts
    assert set(Ticket.objects.values_list("status", flat=True)) == {
        "new", "open", "waiting", "resolved", "closed"}  # fmt: skip
    assert Ticket.objects.filter(merged_into__isnull=False).count() == 1
    assert SlaPolicy.objects.count() == 4
    today = list(jobs_of_day(tom, timezone.localdate()))
    assert len(today) == 4
    assert [job.slot_start for job in today] == sorted(job.slot_start for job in today)
    installation = today[0]
    assert (installation.kind, installation.service.status) == ("installation", "pending")
    assert WorkOrder.objects.filter(status="completed").count() == 1

    # Monitoring: the core, both OLTs and CPEs, every target a loopback address, all up now.
    monitors = list(Monitor.objects.select_related("device__management_ip"))
    assert len(monitors) >= 7
    assert {m.device.role for m in monitors} == {"router", "olt", "cpe"}
    assert all(ipaddress.ip_address(m.device.management_ip.address) in LOOPBACK
               for m in monitors)  # fmt: skip
    assert {m.state for m in monitors} == {"up"}
    assert ProbeResult.objects.filter(monitor=monitors[0]).count() >= 24 * 12
    # The past outage: ended, services behind it, its ticket resolved, the CPEs suppressed.
    outage = Outage.objects.get()
    assert outage.ended_at is not None
    assert outage.ended_at < timezone.now()
    assert outage.device.role == "olt"
    assert outage.services_affected > 0
    assert outage.affected.count() == outage.services_affected
    ticket = Ticket.objects.get(source="outage")
    assert outage.ticket_reference == ticket.number
    assert (ticket.status, ticket.device_id) == ("resolved", outage.device_id)
    assert MonitorEvent.objects.filter(message=f"Alert suppressed: {outage.device.name} is down",
                                       monitor__device__parent=outage.device).exists()  # fmt: skip
    failed = ProbeResult.objects.filter(monitor__device=outage.device, ok=False)
    assert failed.exists()
    assert all(outage.started_at <= at < outage.ended_at
               for at in failed.values_list("at", flat=True))  # fmt: skip


def test_a_plan_without_monitoring_gets_no_demo_monitors(in_tenant_a):
    DeviceFactory(name="core-1", role="router")

    monitoring_demo_ensure(demo=DemoTenant(slug="tenant-a", name="A", apps=("isp",)))

    assert not Monitor.objects.exists()
