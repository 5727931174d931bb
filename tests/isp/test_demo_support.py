"""The demo's support desk and Tom's day: tickets in every state, Tom's jobs of today in time
order (an installation of a pending service among them), once however often it runs."""

from django.utils import timezone

from apps.core.demo import DemoTenant, DemoUser
from apps.isp import demo
from apps.isp.models import SlaPolicy, SupportTeam, Ticket, WorkOrder
from apps.isp.selectors.field import jobs_of_day
from tests.isp.support_factories import technician


def test_the_demo_has_tickets_in_every_state_and_toms_jobs_for_today(in_tenant_a, monkeypatch):
    monkeypatch.setitem(demo.CUSTOMERS, "tenant-a", 30)
    tom = technician("tom")
    tenant = DemoTenant(slug="tenant-a", name="A", apps=("isp",),
                        users=(DemoUser("tom", "Tom", "Baker", "Field Tech"),))  # fmt: skip

    demo.isp_demo_ensure(tenant=in_tenant_a, demo=tenant, password="x")
    counts = (Ticket.objects.count(), WorkOrder.objects.count(), SupportTeam.objects.count())
    demo.isp_demo_ensure(tenant=in_tenant_a, demo=tenant, password="x")

    assert (Ticket.objects.count(), WorkOrder.objects.count(),
            SupportTeam.objects.count()) == counts  # fmt: skip
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
