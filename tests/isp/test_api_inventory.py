"""Network inventory over the API: sites, devices, circuits; the plan's device limit, uplinks
without loops, CPEs and their services, management addresses."""

import pytest
from django_tenants.utils import schema_context

from apps.isp.models import Device, IPAddress
from apps.platform.licensing import services as licensing
from apps.platform.licensing.models import Subscription
from tests.isp.coa_data import move_isp_to
from tests.isp.factories import ServiceFactory
from tests.isp.network_factories import (
    CircuitFactory,
    DeviceFactory,
    IPAddressFactory,
    SiteFactory,
)
from tests.resource_base import ResourceTests

pytestmark = pytest.mark.django_db
DEVICES = "/api/v1/isp/devices/"
MONITORS = "/api/v1/isp/monitors/"
SITES = "/api/v1/isp/sites/"


class TestSiteResource(ResourceTests):
    path = SITES
    resource_type = "site"
    factory = SiteFactory
    create_data = {"name": "Leeds POP", "city": "Leeds", "country": "GB",
                   "latitude": "53.800800", "longitude": "-1.549100"}  # fmt: skip
    update_data = {"status": "retired", "description": "Moved to Bradford"}
    invalid_data = {"name": "Nowhere", "latitude": "91.000000", "longitude": "0.000000"}


class TestDeviceResource(ResourceTests):
    path = DEVICES
    resource_type = "device"
    factory = DeviceFactory
    create_data = {"name": "olt-leeds-1", "role": "olt", "vendor": "Huawei", "model": "MA5800",
                   "serial": "HW123456", "mac": "00:1a:2b:3c:4d:5e"}  # fmt: skip
    update_data = {"status": "offline", "description": "Awaiting a PSU"}
    invalid_data = {"name": "x", "role": "toaster"}


class TestCircuitResource(ResourceTests):
    path = "/api/v1/isp/circuits/"
    resource_type = "circuit"
    factory = CircuitFactory
    update_data = {"capacity_mbps": 20000, "monthly_cost": "1200.00"}
    invalid_data = {"provider": "BT", "cid": "X", "capacity_mbps": 10, "monthly_cost": "-5.00"}

    def create_data(self):
        return {"provider": "BT Wholesale", "cid": "BTW-77", "kind": "Backhaul",
                "capacity_mbps": 10000, "monthly_cost": "900.00", "site_a": SiteFactory().pk,
                "site_z": SiteFactory().pk, "installed_on": "2026-01-10",
                "term_ends_on": "2029-01-09"}  # fmt: skip


def test_a_site_needs_both_coordinates_or_none(api_a, tenant_a):
    response = api_a.post_json(SITES, {"name": "Half", "latitude": "51.000000"})

    assert response.status_code == 400
    with schema_context(tenant_a.schema_name):
        assert not SiteFactory._meta.model.objects.filter(name="Half").exists()


@pytest.mark.parametrize("mac", ["00:1a:2b:3c:4d", "zz:1a:2b:3c:4d:5e", 12345, "0" * 40])
def test_a_bad_mac_address_is_a_400_naming_it(api_a, tenant_a, mac):
    response = api_a.post_json(DEVICES, {"name": "cpe-1", "role": "cpe", "mac": mac})

    assert response.status_code == 400
    assert response.json()["error"]["details"][0]["field"] == "mac"


def test_a_mac_address_is_shown_one_way_and_is_unique(api_a, tenant_a):
    first = api_a.post_json(DEVICES, {"name": "cpe-1", "role": "cpe", "mac": "00-1A-2B-3C-4D-5E"})
    again = api_a.post_json(DEVICES, {"name": "cpe-2", "role": "cpe", "mac": "001a.2b3c.4d5e"})

    assert first.json()["data"]["attributes"]["mac"] == "00:1a:2b:3c:4d:5e"
    assert again.status_code in (400, 409)
    with schema_context(tenant_a.schema_name):
        assert Device.objects.count() == 1


def test_an_uplink_loop_is_refused(api_a, tenant_a):
    with schema_context(tenant_a.schema_name):
        core = DeviceFactory(name="core")
        switch = DeviceFactory(name="switch", role="switch", parent=core)
        olt = DeviceFactory(name="olt", role="olt", parent=switch)

    looped = api_a.patch(f"{DEVICES}{core.pk}/", {"parent": olt.pk}, "application/json")
    itself = api_a.patch(f"{DEVICES}{core.pk}/", {"parent": core.pk}, "application/json")

    assert looped.status_code == itself.status_code == 400
    assert looped.json()["error"]["details"][0]["field"] == "parent"
    with schema_context(tenant_a.schema_name):
        assert Device.objects.get(pk=core.pk).parent is None


def test_only_a_cpe_serves_a_subscriber_and_its_management_ip_is_not_a_subscribers(api_a, tenant_a):
    with schema_context(tenant_a.schema_name):
        service = ServiceFactory()
        subscriber_ip = IPAddressFactory(address="100.64.0.9", status="active", service=service)
        management_ip = IPAddressFactory(address="10.255.0.9", status="active")

    router = api_a.post_json(DEVICES, {"name": "r1", "role": "router", "service": service.pk})
    stolen = api_a.post_json(
        DEVICES, {"name": "cpe-a", "role": "cpe", "management_ip": subscriber_ip.pk}
    )
    cpe = api_a.post_json(
        DEVICES, {"name": "cpe-b", "role": "cpe", "service": service.pk,
                  "management_ip": management_ip.pk},
    )  # fmt: skip

    assert router.status_code == 400
    assert router.json()["error"]["details"][0]["field"] == "service"
    assert stolen.status_code == 400
    assert stolen.json()["error"]["details"][0]["field"] == "management_ip"
    assert cpe.status_code == 201
    assert cpe.json()["data"]["attributes"]["management_address"] == "10.255.0.9"
    with schema_context(tenant_a.schema_name):
        assert list(Device.objects.values_list("name", flat=True)) == ["cpe-b"]
        assert IPAddress.objects.get(pk=management_ip.pk).device.name == "cpe-b"


def test_the_device_limit_counts_probed_devices_and_retired_ones_do_not_count(
    api_a, tenant_a, django_capture_on_commit_callbacks
):
    """`isp.max_devices` counts the devices monitoring probes (ISP Pro: isp.monitoring):
    inventory is not limited; a second monitor is refused, a retired device's does not count,
    and bringing that device back needs room again."""
    move_isp_to("tenant-a", "pro", django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        licensing.subscription_set_overrides(
            subscription=Subscription.objects.get(tenant=tenant_a, app__key="isp"),
            limits={"isp.max_devices": 1}, actor="test",
        )  # fmt: skip
    with schema_context(tenant_a.schema_name):
        addresses = [IPAddressFactory(address=f"127.0.9.{n}").pk for n in (1, 2, 3)]
    routers = [api_a.post_json(DEVICES, {"name": f"r{n}", "role": "router",
                                         "management_ip": addresses[n - 1]})
               for n in (1, 2, 3)]  # fmt: skip
    ids = [router.json()["data"]["id"] for router in routers]
    first = api_a.post_json(MONITORS, {"device": ids[0]})
    refused = api_a.post_json(MONITORS, {"device": ids[1]})
    api_a.patch(f"{DEVICES}{ids[0]}/", {"status": "retired"}, "application/json")
    allowed = api_a.post_json(MONITORS, {"device": ids[1]})
    revived = api_a.patch(f"{DEVICES}{ids[0]}/", {"status": "active"}, "application/json")
    api_a.patch(f"{DEVICES}{ids[2]}/", {"status": "retired"}, "application/json")
    unprobed_revival = api_a.patch(f"{DEVICES}{ids[2]}/", {"status": "active"},
                                   "application/json")  # fmt: skip

    assert [router.status_code for router in routers] == [201, 201, 201]  # inventory: no limit
    assert first.status_code == 201
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "LIMIT_EXCEEDED"
    assert allowed.status_code == 201
    assert revived.status_code == 403
    assert revived.json()["error"]["code"] == "LIMIT_EXCEEDED"
    assert unprobed_revival.status_code == 200
    with schema_context(tenant_a.schema_name):
        assert sorted(Device.objects.values_list("name", "status")) == [
            ("r1", "retired"), ("r2", "active"), ("r3", "active"),
        ]  # fmt: skip


def test_a_device_others_hang_off_cannot_be_deleted(api_a, tenant_a):
    with schema_context(tenant_a.schema_name):
        core = DeviceFactory(name="core")
        DeviceFactory(name="edge", parent=core)

    response = api_a.delete(f"{DEVICES}{core.pk}/")

    assert response.status_code == 409
    with schema_context(tenant_a.schema_name):
        assert Device.objects.count() == 2


def test_a_device_without_site_or_management_ip_shows_them_as_null_as_the_schema_says(
    api_a, tenant_a
):
    """Found by the fuzzer: the schema said string, the answer was null."""
    created = api_a.post_json(DEVICES, {"name": "lonely", "role": "cpe"}).json()["data"]
    schema = api_a.get("/api/schema/?format=json").json()["components"]["schemas"]

    assert created["attributes"]["site_name"] is None
    assert created["attributes"]["management_address"] is None
    properties = schema["DeviceAttributes"]["properties"]
    assert properties["site_name"].get("nullable") is True
    assert properties["management_address"].get("nullable") is True
