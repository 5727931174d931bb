"""Monitoring on a real Celery worker, in the tenant's schema: probe rounds over loopback
addresses (127.0.0.0/8 answers on Linux) and over a network namespace the test makes and whose
link it takes down and up. Down after N failed probes (not before), up again, the CPE behind a
router that is down suppressed, one outage (one ticket) with its affected services and, with
the tenant's setting on, exactly one credit note per service."""

import datetime
import socket
import time
import uuid

import pytest
from django.db.models import F
from django_tenants.utils import schema_context

from apps.isp import tasks
from apps.isp.models import (
    CreditNote,
    Device,
    Monitor,
    MonitorEvent,
    Outage,
    OutageCredit,
    ProbeResult,
    ProbeRound,
    Ticket,
)
from apps.platform.catalog.models import Plan
from apps.platform.licensing import services as licensing
from apps.platform.licensing.models import Subscription
from apps.platform.tenants import schemas
from apps.platform.tenants.models import Tenant
from apps.platform.tenants.services import tenant_create_now
from tests.committed import committed
from tests.isp.factories import active_service
from tests.isp.monitoring_data import Namespace, loopback, monitored_device, settings_set

pytestmark = pytest.mark.slow
ROUND_TIMEOUT = 60


@pytest.fixture
def pro_tenant(django_db_setup, django_db_blocker):
    """A committed tenant of the test's own, on ISP Pro (isp.monitoring); dropped afterwards."""
    slug = f"mon-{uuid.uuid4().hex[:8]}"

    def create():
        tenant = tenant_create_now(
            name="Monitoring", slug=slug, admin_username="owner",
            admin_email=f"owner@{slug}.example.com", admin_password="correct-horse-battery",
            apps=("isp",),
        )  # fmt: skip
        licensing.subscription_change_plan(
            subscription=Subscription.objects.get(tenant=tenant, app__key="isp"),
            plan=Plan.objects.get(app__key="isp", key="pro"),
            actor="test",
        )
        return tenant

    with django_db_blocker.unblock():
        tenant = committed(create)
    yield tenant

    def remove():
        schemas.drop_schema(tenant.schema_name)
        Tenant.objects.filter(pk=tenant.pk).delete()

    with django_db_blocker.unblock():
        committed(remove)


def in_schema(schema, fn):
    def run():
        with schema_context(schema):
            return fn()

    return committed(run)


def probe_round(schema: str) -> ProbeRound:
    """One round sent to the worker (from the tenant's schema), waited for to the end."""
    with schema_context(schema):
        before = ProbeRound.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        tasks.monitoring_round.delay()
        deadline = time.monotonic() + ROUND_TIMEOUT
        while time.monotonic() < deadline:
            time.sleep(0.1)
            latest = ProbeRound.objects.filter(pk__gt=before).first()
            if latest is not None and latest.finished_at is not None:
                return latest
    raise AssertionError("The probe round did not finish on the worker")


def rounds(schema: str, count: int) -> None:
    for _ in range(count):
        probe_round(schema)


def states(schema: str, *devices: Device) -> list[str]:
    return in_schema(schema, lambda: [Monitor.objects.get(device_id=d.pk).state for d in devices])


def test_a_round_over_loopback_addresses_records_each_device_up_with_its_latency(
    pro_tenant, db, celery_worker
):
    schema = pro_tenant.schema_name
    devices = in_schema(schema, lambda: [monitored_device() for _ in range(5)])

    rounds(schema, 1)

    def read():
        monitors = list(Monitor.objects.order_by("pk"))
        return monitors, ProbeResult.objects.count(), ProbeRound.objects.get()

    monitors, results, finished = read_in(schema, read)
    assert [m.state for m in monitors] == ["up"] * 5
    assert all(m.last_latency_ms is not None and m.last_loss_percent == 0 for m in monitors)
    assert results == 5
    assert (finished.targets, finished.batches, finished.batches_done) == (5, 1, 1)
    assert len(devices) == 5


def read_in(schema, fn):
    with schema_context(schema):
        return fn()


def test_a_tcp_port_goes_down_after_n_failed_probes_and_up_again_and_its_cpes_are_suppressed(
    pro_tenant, db, celery_worker, settings
):
    """Loopback TCP: the router's port listens, then closes; the CPE behind it (another
    loopback address, its port never open) is down all along, but never alerted on while the
    router is down. Batches of one device each: two batches, whichever finishes first."""
    settings.MONITORING_BATCH_SIZE = 1
    schema = pro_tenant.schema_name
    cpe_address = loopback()
    listener = socket.create_server(("127.0.0.1", 0))
    cpe_listener = socket.create_server((cpe_address, 0))
    port, cpe_port = listener.getsockname()[1], cpe_listener.getsockname()[1]

    def build():
        settings_set(failures_before_down=2, timeout_ms=300, pings_per_probe=1)
        router = monitored_device("127.0.0.1", monitor={"method": "tcp", "tcp_port": port})
        cpe = monitored_device(
            cpe_address, role="cpe", parent=router,
            service=active_service(), monitor={"method": "tcp", "tcp_port": cpe_port},
        )  # fmt: skip
        return router, cpe

    router, cpe = in_schema(schema, build)
    rounds(schema, 1)
    first = states(schema, router, cpe)
    listener.close()
    cpe_listener.close()
    rounds(schema, 1)
    after_one_failure = states(schema, router, cpe)
    rounds(schema, 1)
    after_two = states(schema, router, cpe)
    outages_while_down = read_in(
        schema, lambda: list(Outage.objects.values_list("device", flat=True))
    )
    listener = socket.create_server(("127.0.0.1", port))
    try:
        rounds(schema, 1)
        after_up = states(schema, router, cpe)
    finally:
        listener.close()

    def read():
        cpe_events = list(
            MonitorEvent.objects.filter(monitor__device=cpe).values_list("message", flat=True)
        )
        outages = list(Outage.objects.order_by("pk"))
        return cpe_events, outages

    cpe_events, outages = read_in(schema, read)
    assert first == ["up", "up"]
    assert after_one_failure == ["up", "up"]  # one failure is a flap: both stay up
    assert after_two == ["down", "down"]
    assert outages_while_down == [router.pk]  # the router's outage only: the CPE suppressed
    assert f"Alert suppressed: {router.name} is down" in cpe_events
    assert after_up == ["up", "down"]
    # The router is up again: its outage ended, and the CPE still down is an outage of its own.
    assert [(o.device_id, o.ended_at is None) for o in outages] == [
        (router.pk, False),
        (cpe.pk, True),
    ]


def test_a_namespace_link_taken_down_and_up_opens_one_outage_one_ticket_and_one_credit_each(
    pro_tenant, db, celery_worker, settings
):
    schema = pro_tenant.schema_name
    with Namespace() as namespace:
        settings.MONITORING_PROBE_NETWORKS = [
            *settings.MONITORING_PROBE_NETWORKS,
            namespace.network,
        ]

        def build():
            settings_set(failures_before_down=2, timeout_ms=300, pings_per_probe=1,
                         credit_outages=True, credit_minimum_minutes=60,
                         notify_emails="noc@example.com")  # fmt: skip
            router = monitored_device(namespace.address(2))
            behind = monitored_device(namespace.address(3), role="cpe", parent=router,
                                      service=active_service())  # fmt: skip
            on_loopback = monitored_device(loopback(), role="cpe", parent=router,
                                           service=active_service())  # fmt: skip
            return router, behind, on_loopback

        router, behind, on_loopback = in_schema(schema, build)
        rounds(schema, 1)
        first = states(schema, router, behind, on_loopback)
        namespace.link(False)
        rounds(schema, 1)
        one_failure = states(schema, router, behind, on_loopback)
        rounds(schema, 2)
        down = states(schema, router, behind, on_loopback)

        def lengthen():  # the outage lasted six hours (a credit of a few seconds is 0.00)
            Outage.objects.update(started_at=F("started_at") - datetime.timedelta(hours=6))
            return list(Outage.objects.values_list("device_id", "services_affected",
                                                    "subscribers_affected"))  # fmt: skip

        open_outages = in_schema(schema, lengthen)
        namespace.link(True)
        time.sleep(0.5)
        rounds(schema, 3)  # up again, then rounds that must not credit again
        up = states(schema, router, behind, on_loopback)

    def read():
        outage = Outage.objects.get()
        return (
            outage,
            list(Ticket.objects.values_list("subject", flat=True)),
            sorted(OutageCredit.objects.values_list("service_id", flat=True)),
            {c: CreditNote.objects.filter(customer=c).count()
             for c in (behind.service.customer_id, on_loopback.service.customer_id)},
        )  # fmt: skip

    outage, tickets, credited, notes = read_in(schema, read)
    assert first == ["up", "up", "up"]
    assert one_failure == ["up", "up", "up"]
    assert down == ["down", "down", "up"]
    assert open_outages == [(router.pk, 2, 2)]
    assert up == ["up", "up", "up"]
    assert outage.ended_at is not None
    assert outage.credited_at is not None
    assert tickets == [f"Outage: {router.name} down, 2 subscribers affected"]
    assert credited == sorted([behind.service_id, on_loopback.service_id])
    assert notes == {behind.service.customer_id: 1, on_loopback.service.customer_id: 1}
