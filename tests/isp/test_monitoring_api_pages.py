"""Monitoring on the API (/api/v1/isp/monitors/, probe-results/, monitor-events/,
maintenance-windows/, outages/) and its pages (/isp/network/monitoring/, an outage's page, the
device page's panel and its Probe now button, the dashboard's status): the generic resource
checks (cross-tenant 404s, permissions, licence, audit, query counts), the plan's gate and who
may open the pages."""

import datetime
import itertools

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from apps.core.exceptions import DomainError
from apps.isp.models import (
    MaintenanceWindow,
    Monitor,
    MonitorEvent,
    Outage,
    OutageEvent,
    OutageService,
    ProbeResult,
)
from apps.isp.services.monitoring import monitor_create
from tests.isp.coa_data import move_isp_to
from tests.isp.factories import active_service
from tests.isp.monitoring_data import loopback, monitored_device
from tests.isp.network_factories import DeviceFactory, IPAddressFactory
from tests.isp.pages_data import make_user, sign_in
from tests.resource_base import ResourceTests

pytestmark = pytest.mark.django_db
_moments = itertools.count(1)


@pytest.fixture
def on_pro(db, django_capture_on_commit_callbacks):
    for slug in ("tenant-a", "tenant-b"):
        move_isp_to(slug, "pro", django_capture_on_commit_callbacks)


def make_monitor(**fields) -> Monitor:
    return monitored_device(monitor=fields or None).monitor


def make_outage(**fields) -> Outage:
    device = fields.pop("device", None) or monitored_device()
    outage = Outage.objects.create(
        device=device, started_at=fields.pop("started_at", timezone.now()), **fields
    )
    service = active_service()
    OutageService.objects.create(outage=outage, service=service)
    outage.services_affected = outage.subscribers_affected = 1
    outage.save()
    OutageEvent.objects.create(outage=outage, kind="opened", message="opened for the test")
    return outage


def a_moment() -> datetime.datetime:
    return timezone.now() - datetime.timedelta(seconds=next(_moments))


class ProResource(ResourceTests):
    @pytest.fixture(autouse=True)
    def _on_pro(self, on_pro):
        pass


class TestMonitorResource(ProResource):
    path = "/api/v1/isp/monitors/"
    resource_type = "monitor"
    model = Monitor
    update_data = {"enabled": False}

    def make(self, **fields):
        return make_monitor(**fields)

    def create_data(self):
        device = DeviceFactory(management_ip=IPAddressFactory(address=loopback()))
        return {"device": device.pk, "method": "tcp", "tcp_port": 22}

    def test_a_device_without_a_management_ip_or_a_tcp_probe_without_port_is_refused(self, api):
        with self.in_a():
            bare = DeviceFactory()
            addressed = DeviceFactory(management_ip=IPAddressFactory(address=loopback()))

        no_address = api.post_json(self.path, {"device": bare.pk})
        no_port = api.post_json(self.path, {"device": addressed.pk, "method": "tcp"})

        details = self.error(no_address, 400, "VALIDATION_ERROR")["details"]
        assert details == [{"field": "device", "message": "A device is probed at its management "
                            "IP: give it one first."}]  # fmt: skip
        assert self.error(no_port, 400, "VALIDATION_ERROR")["details"][0]["field"] == "tcp_port"
        assert self.count() == 0

    def test_the_probe_action_probes_the_loopback_device_at_once(self, api):
        monitor = self.row()

        answer = api.post_json(f"{self.path}{monitor.pk}/probe/")

        assert answer.status_code == 200, answer.content
        attributes = answer.json()["data"]["attributes"]
        assert attributes["state"] == "up"
        assert attributes["last_latency_ms"] is not None
        with self.in_a():
            assert ProbeResult.objects.filter(monitor=monitor, ok=True).count() == 1

    def test_another_tenants_monitor_cannot_be_probed(self, api):
        foreign = self.foreign_row("tenant-b")

        self.error(api.post_json(f"{self.path}{foreign.pk}/probe/"), 404, "NOT_FOUND")
        assert self.state(foreign.pk, "tenant-b")["last_probed_at"] is None

    def test_an_outsider_may_not_probe(self, outsider_api):
        monitor = self.row()

        answer = outsider_api.post_json(f"{self.path}{monitor.pk}/probe/")

        self.error(answer, 403, "PERMISSION_DENIED")
        assert self.state(monitor.pk)["last_probed_at"] is None


class TestProbeResultResource(ProResource):
    path = "/api/v1/isp/probe-results/"
    resource_type = "probe_result"
    model = ProbeResult
    operations = {"list", "retrieve"}

    def make(self, **fields):
        fields.setdefault("monitor", make_monitor())
        return ProbeResult.objects.create(at=a_moment(), ok=True, latency_ms=0.05,
                                          loss_percent=0, **fields)  # fmt: skip


class TestMonitorEventResource(ProResource):
    path = "/api/v1/isp/monitor-events/"
    resource_type = "monitor_event"
    model = MonitorEvent
    operations = {"list", "retrieve"}

    def make(self, **fields):
        fields.setdefault("monitor", make_monitor())
        return MonitorEvent.objects.create(at=a_moment(), state="down", message="Down", **fields)


class TestMaintenanceWindowResource(ProResource):
    path = "/api/v1/isp/maintenance-windows/"
    resource_type = "maintenance_window"
    model = MaintenanceWindow
    update_data = {"reason": "Firmware upgrade, second try"}

    def make(self, **fields):
        start = timezone.now() + datetime.timedelta(hours=1)
        return MaintenanceWindow.objects.create(
            device=fields.pop("device", None) or DeviceFactory(), starts_at=start,
            ends_at=start + datetime.timedelta(hours=2), reason="Firmware", **fields,
        )  # fmt: skip

    def create_data(self):
        return {"device": DeviceFactory().pk, "starts_at": "2026-12-24T22:00:00Z",
                "ends_at": "2026-12-25T02:00:00Z", "reason": "Fibre splice"}  # fmt: skip

    def test_a_window_that_ends_before_it_starts_or_lasts_too_long_is_refused(self, api):
        with self.in_a():
            device = DeviceFactory()

        backwards = api.post_json(
            self.path,
            {
                "device": device.pk,
                "starts_at": "2026-12-24T22:00:00Z",
                "ends_at": "2026-12-24T21:00:00Z",
            },
        )
        too_long = api.post_json(
            self.path,
            {"device": device.pk, "starts_at": "2026-12-01T00:00:00Z", "ends_at": "2027-02-01"},
        )

        assert self.error(backwards, 400, "VALIDATION_ERROR")["details"][0]["field"] == "ends_at"
        assert self.error(too_long, 400, "VALIDATION_ERROR")["details"][0]["field"] == "ends_at"
        assert self.count() == 0


class TestOutageResource(ProResource):
    path = "/api/v1/isp/outages/"
    resource_type = "outage"
    model = Outage
    operations = {"list", "retrieve"}

    def make(self, **fields):
        return make_outage(**fields)

    def test_open_outages_are_filtered_and_show_their_services_and_timeline(self, api):
        ongoing = self.row()
        ended = self.row(ended_at=timezone.now() + datetime.timedelta(seconds=1))

        listed = api.get(f"{self.path}?open=true").json()["data"]

        assert [item["id"] for item in listed] == [str(ongoing.pk)]
        attributes = listed[0]["attributes"]
        assert attributes["subscribers_affected"] == 1
        assert len(attributes["services"]) == 1
        assert attributes["timeline"][0]["kind"] == "opened"
        assert ended.pk != ongoing.pk


@pytest.mark.parametrize(
    "path",
    ["/api/v1/isp/monitors/", "/api/v1/isp/outages/", "/api/v1/isp/maintenance-windows/",
     "/api/v1/isp/probe-results/", "/api/v1/isp/monitor-events/"],
)  # fmt: skip
def test_the_basic_plan_refuses_every_monitoring_resource(api_a, path):
    response = api_a.get(path)

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "FEATURE_NOT_IN_PLAN"
    assert "isp.monitoring" in response.json()["error"]["message"]


def test_the_basic_plan_cannot_start_monitoring_through_the_service(in_tenant_a):
    device = DeviceFactory(management_ip=IPAddressFactory(address=loopback()))

    with pytest.raises(DomainError):
        monitor_create(device=device)
    assert not Monitor.objects.exists()


# --- Pages ---------------------------------------------------------------------------------------

STATUS = "/isp/network/monitoring/"


def text(response) -> str:
    return response.content.decode()


def test_the_status_page_shows_devices_down_and_open_outages(client_a, on_pro, in_tenant_a):
    staff = client_a.sign_in()
    outage = make_outage()
    down = Monitor.objects.filter(pk=outage.device.monitor.pk)
    down.update(state="down", alert="outage", state_since=timezone.now())
    up = make_monitor()
    Monitor.objects.filter(pk=up.pk).update(state="up")

    body = text(staff.get(STATUS))

    assert f'id="outage-{outage.pk}"' in body
    assert f'id="down-{outage.device_id}"' in body
    assert "1 subscriber affected" in body
    assert 'id="kpi-up">1<' in body
    assert 'id="kpi-down">1<' in body
    assert 'aria-current="page">Monitoring' in body


def test_the_dashboard_shows_the_network_status_on_pro_only(
    client_a, in_tenant_a, django_capture_on_commit_callbacks
):
    staff = client_a.sign_in()
    basic = text(staff.get("/isp/"))
    move_isp_to("tenant-a", "pro", django_capture_on_commit_callbacks)
    pro = text(staff.get("/isp/"))

    assert 'id="network-status"' not in basic
    assert 'id="network-status"' in pro


def test_the_outage_page_lists_the_services_it_hit_and_its_timeline(client_a, on_pro,
                                                                   in_tenant_a):  # fmt: skip
    staff = client_a.sign_in()
    outage = make_outage()
    service = outage.affected.get().service

    body = text(staff.get(f"/isp/network/outages/{outage.pk}/"))

    assert service.customer.name in body
    assert "opened for the test" in body
    assert "1 service, 1 subscriber affected" in body


def test_the_device_page_draws_the_latency_chart_and_the_state_changes(client_a, on_pro,
                                                                      in_tenant_a):  # fmt: skip
    staff = client_a.sign_in()
    monitor = make_monitor()
    now = timezone.now()
    for minutes, latency in ((30, 0.05), (20, None), (10, 0.07)):
        ProbeResult.objects.create(monitor=monitor, at=now - datetime.timedelta(minutes=minutes),
                                   ok=latency is not None, latency_ms=latency,
                                   loss_percent=0 if latency else 100)  # fmt: skip
    MonitorEvent.objects.create(monitor=monitor, at=now, state="up", message="Up (0.07 ms)")

    body = text(staff.get(f"/isp/network/devices/{monitor.device_id}/"))

    assert 'id="latency-chart"' in body
    assert body.count('<polyline class="line c-blue"') == 2  # the failed probe breaks the line
    assert 'class="failed"' in body
    assert "3 probes in the last 24 hours." in body
    assert "Up (0.07 ms)" in body


def test_the_probe_now_button_probes_and_says_the_state(client_a, on_pro, in_tenant_a):
    staff = client_a.sign_in()
    monitor = make_monitor()

    answer = staff.post(f"/isp/network/devices/{monitor.device_id}/probe/")
    page = text(staff.get(f"/isp/network/devices/{monitor.device_id}/"))

    assert answer.status_code == 302
    assert f"{monitor.device.name}: up," in page
    monitor.refresh_from_db()
    assert monitor.state == "up"


def test_the_pages_say_monitoring_is_not_in_the_basic_plan(client_a, in_tenant_a):
    staff = client_a.sign_in()
    device = DeviceFactory()

    status = staff.get(STATUS)
    device_page = text(staff.get(f"/isp/network/devices/{device.pk}/"))

    assert status.status_code == 403
    assert "Monitoring is not in your plan" in text(status)
    assert 'id="monitoring"' not in device_page


@pytest.mark.parametrize("page", ["status", "outage", "probe"])
def test_the_pages_need_sign_in_and_an_isp_role(client_a, on_pro, in_tenant_a, page):
    outage = make_outage()
    path = {"status": STATUS, "outage": f"/isp/network/outages/{outage.pk}/",
            "probe": f"/isp/network/devices/{outage.device_id}/probe/"}[page]  # fmt: skip
    send = client_a.post if page == "probe" else client_a.get
    anonymous = send(path)
    make_user("mike", "Sales Rep")
    sales_rep = sign_in(client_a, "mike")

    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith("/login/?next=")
    assert (sales_rep.post if page == "probe" else sales_rep.get)(path).status_code == 403
    assert Monitor.objects.get(device=outage.device).last_probed_at is None


def test_another_tenants_outage_and_device_are_404_on_the_pages(client_b, tenant_a, on_pro):
    with schema_context(tenant_a.schema_name):
        outage = make_outage()
    staff_b = client_b.sign_in()

    outage_page = staff_b.get(f"/isp/network/outages/{outage.pk}/")
    probe = staff_b.post(f"/isp/network/devices/{outage.device_id}/probe/")

    assert outage_page.status_code == 404
    assert probe.status_code == 404
    with schema_context(tenant_a.schema_name):
        assert Monitor.objects.get(device=outage.device).last_probed_at is None
