"""IPAM over the API: VRFs, prefixes (nested, with utilisation), addresses, allocation (never
one address twice, a full prefix 409), quarantine after termination, static IPs at activation."""

import datetime
import json
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone
from django_tenants.utils import schema_context

from apps.core.exceptions import ConflictError
from apps.isp.models import Invoice, IPAddress, Prefix
from apps.isp.services import ipam
from apps.isp.services.subscriptions import service_activate, service_terminate
from tests.committed import committed
from tests.conftest import obtain_tokens
from tests.isp.factories import ServiceFactory, ServicePlanFactory, active_service
from tests.isp.network_factories import IPAddressFactory, PrefixFactory, VrfFactory
from tests.resource_base import ResourceTests, owner_api, tenant_with
from tests.servers import Gunicorn

pytestmark = pytest.mark.django_db
PREFIXES = "/api/v1/isp/prefixes/"
ADDRESSES = "/api/v1/isp/ip-addresses/"


class TestVrfResource(ResourceTests):
    path = "/api/v1/isp/vrfs/"
    resource_type = "vrf"
    factory = VrfFactory
    create_data = {"name": "customers", "rd": "65000:100", "description": "Subscriber VRF"}
    update_data = {"rd": "192.0.2.1:7"}
    invalid_data = {"name": "bad-rd", "rd": "65000"}


class TestPrefixResource(ResourceTests):
    path = PREFIXES
    resource_type = "prefix"
    factory = PrefixFactory
    create_data = {"prefix": "100.64.0.0/22", "purpose": "customer", "description": "CGNAT"}
    update_data = {"status": "deprecated", "description": "Retiring"}
    invalid_data = {"prefix": "100.64.0.1/22"}  # host bits set

    def test_a_user_without_the_area_may_not_list_or_allocate(self, outsider_api, tenant_a):
        prefix = _in_a(tenant_a, PrefixFactory)

        listed = outsider_api.get(f"{PREFIXES}{prefix.pk}/available-ips/")
        allocated = outsider_api.post_json(f"{PREFIXES}{prefix.pk}/allocate/", {"count": 1})

        self.error(listed, 403, "PERMISSION_DENIED")
        self.error(allocated, 403, "PERMISSION_DENIED")
        assert _in_a(tenant_a, IPAddress.objects.count) == 0


class TestIPAddressResource(ResourceTests):
    path = ADDRESSES
    resource_type = "ip_address"
    factory = IPAddressFactory
    create_data = {"address": "198.51.100.1", "status": "reserved", "description": "Gateway"}
    update_data = {"description": "Core gateway", "status": "deprecated"}
    invalid_data = {"address": "198.51.100.300"}


def _in_a(tenant_a, fn, *args, **kwargs):
    with schema_context(tenant_a.schema_name):
        return fn(*args, **kwargs)


def test_prefixes_nest_by_containment_and_show_their_utilisation(api_a, tenant_a):
    with schema_context(tenant_a.schema_name):
        top = PrefixFactory(prefix="100.64.0.0/16", status="container")
        pool = PrefixFactory(prefix="100.64.1.0/24")
        small = PrefixFactory(prefix="100.64.1.0/28")
        other_vrf = PrefixFactory(prefix="100.64.1.0/24", vrf=VrfFactory())
        for n in range(1, 6):
            IPAddressFactory(address=f"100.64.1.{n}")

    rows = {
        row["id"]: row["attributes"] for row in api_a.get(f"{PREFIXES}?page_size=50").json()["data"]
    }

    assert rows[str(top.pk)]["depth"] == 0
    assert rows[str(pool.pk)]["depth"] == 1
    assert rows[str(small.pk)]["depth"] == 2
    assert rows[str(other_vrf.pk)]["depth"] == 0  # another VRF's /16 does not contain it
    assert rows[str(pool.pk)]["size"] == "254"
    assert rows[str(pool.pk)]["address_count"] == 5
    assert rows[str(pool.pk)]["utilisation"] == round(100 * 5 / 254, 2)
    assert rows[str(small.pk)]["utilisation"] == round(100 * 5 / 14, 2)
    assert rows[str(other_vrf.pk)]["utilisation"] == 0
    assert rows[str(top.pk)]["utilisation"] == round(100 * 256 / 65536, 2)  # the /24 covers it
    within = api_a.get(f"{PREFIXES}?within=100.64.0.0/16").json()["data"]
    assert {row["id"] for row in within} == {str(pool.pk), str(small.pk), str(other_vrf.pk)}
    holding = api_a.get(f"{PREFIXES}?contains=100.64.1.20&global_table=true").json()["data"]
    assert {row["id"] for row in holding} == {str(top.pk), str(pool.pk)}


@pytest.mark.parametrize(
    "query", ["within=10.0.0.1/8", "within=banana", "contains=10.0.0.0/8x", "family=5"]
)
def test_a_malformed_network_filter_is_a_400_naming_it(api_a, query):
    response = api_a.get(f"{PREFIXES}?{query}")

    assert response.status_code == 400
    assert response.json()["error"]["details"][0]["field"] == query.split("=")[0]


@pytest.mark.parametrize("value", [5, ["10.0.0.0/8"], "10.0.0.0/33", "x" * 100, "::1/129"])
def test_a_prefix_must_be_a_network_given_as_text(api_a, tenant_a, value):
    response = api_a.post_json(PREFIXES, {"prefix": value})

    assert response.status_code == 400
    assert response.json()["error"]["details"][0]["field"] == "prefix"
    assert _in_a(tenant_a, Prefix.objects.count) == 0


def test_the_same_prefix_or_address_twice_in_one_vrf_is_refused(api_a, tenant_a):
    with schema_context(tenant_a.schema_name):
        PrefixFactory(prefix="10.9.0.0/24")
        IPAddressFactory(address="10.9.0.1")

    prefix = api_a.post_json(PREFIXES, {"prefix": "10.9.0.0/24"})
    address = api_a.post_json(ADDRESSES, {"address": "10.9.0.1"})

    assert prefix.status_code == address.status_code == 400
    with schema_context(tenant_a.schema_name):
        assert Prefix.objects.count() == IPAddress.objects.count() == 1
        # The database holds it even for a write that skips validation.
        with pytest.raises(IntegrityError), transaction.atomic():
            IPAddress.objects.create(address="10.9.0.1")


def test_available_ips_skip_the_network_broadcast_and_used_addresses(api_a, tenant_a):
    with schema_context(tenant_a.schema_name):
        prefix = PrefixFactory(prefix="10.20.0.0/29")
        IPAddressFactory(address="10.20.0.2")
        IPAddressFactory(address="10.20.0.4")
        IPAddressFactory(address="10.20.0.3", vrf=VrfFactory())  # another table: free here

    body = api_a.get(f"{PREFIXES}{prefix.pk}/available-ips/").json()
    limited = api_a.get(f"{PREFIXES}{prefix.pk}/available-ips/?limit=2").json()["data"]
    too_many = api_a.get(f"{PREFIXES}{prefix.pk}/available-ips/?limit=1001")

    assert [row["id"] for row in body["data"]] == ["10.20.0.1", "10.20.0.3", "10.20.0.5",
                                                   "10.20.0.6"]  # fmt: skip
    assert body["data"][0] == {
        "id": "10.20.0.1", "type": "available_ip",
        "attributes": {"address": "10.20.0.1", "family": 4},
    }  # fmt: skip
    assert [row["id"] for row in limited] == ["10.20.0.1", "10.20.0.3"]
    assert too_many.status_code == 400


def test_ipv6_prefixes_allocate_from_the_first_host(api_a, tenant_a):
    with schema_context(tenant_a.schema_name):
        prefix = PrefixFactory(prefix="2001:db8:5::/64")

    made = api_a.post_json(f"{PREFIXES}{prefix.pk}/allocate/", {"count": 3})
    listed = api_a.get(f"{PREFIXES}{prefix.pk}/").json()["data"]["attributes"]

    assert made.status_code == 201
    assert [row["attributes"]["address"] for row in made.json()["data"]] == [
        "2001:db8:5::1", "2001:db8:5::2", "2001:db8:5::3",
    ]  # fmt: skip
    assert listed["size"] == str(2**64 - 1)
    assert listed["family"] == 6


def test_allocation_to_a_service_and_a_full_prefix_conflict(api_a, tenant_a):
    with schema_context(tenant_a.schema_name):
        prefix = PrefixFactory(prefix="10.30.0.0/30")  # two usable addresses
        service = ServiceFactory()

    first = api_a.post_json(f"{PREFIXES}{prefix.pk}/allocate/", {"count": 1, "service": service.pk})
    too_many = api_a.post_json(f"{PREFIXES}{prefix.pk}/allocate/", {"count": 2})
    last = api_a.post_json(f"{PREFIXES}{prefix.pk}/allocate/", {"count": 1})
    full = api_a.post_json(f"{PREFIXES}{prefix.pk}/allocate/", {"count": 1})

    assert first.status_code == 201
    assert first.json()["data"][0]["attributes"]["service"] == service.pk
    assert too_many.status_code == 409
    assert too_many.json()["error"]["code"] == "CONFLICT"
    assert "1 free address" in too_many.json()["error"]["message"]
    assert last.status_code == 201
    assert full.status_code == 409
    with schema_context(tenant_a.schema_name):
        assert sorted(str(a) for a in IPAddress.objects.values_list("address", flat=True)) == [
            "10.30.0.1", "10.30.0.2",
        ]  # fmt: skip


@pytest.mark.parametrize(
    ("body", "field"),
    [({"count": 0}, "count"), ({"count": 257}, "count"), ({"count": "x"}, "count"),
     ({"service": 987654}, "service")],
)  # fmt: skip
def test_allocation_input_is_bounded_and_writes_nothing_when_refused(api_a, tenant_a, body, field):
    with schema_context(tenant_a.schema_name):
        prefix = PrefixFactory()

    response = api_a.post_json(f"{PREFIXES}{prefix.pk}/allocate/", body)

    assert response.status_code == 400
    assert response.json()["error"]["details"][0]["field"] == field
    assert _in_a(tenant_a, IPAddress.objects.count) == 0


@pytest.mark.parametrize("status", ["container", "reserved", "deprecated"])
def test_only_an_active_prefix_hands_out_addresses(api_a, tenant_a, status):
    with schema_context(tenant_a.schema_name):
        prefix = PrefixFactory(status=status)

    response = api_a.post_json(f"{PREFIXES}{prefix.pk}/allocate/", {"count": 1})

    assert response.status_code == 409
    assert _in_a(tenant_a, IPAddress.objects.count) == 0


def test_a_service_gets_addresses_from_a_customer_pool_only(api_a, tenant_a):
    with schema_context(tenant_a.schema_name):
        infrastructure = PrefixFactory(purpose="infrastructure")
        service = ServiceFactory()

    response = api_a.post_json(f"{PREFIXES}{infrastructure.pk}/allocate/", {"service": service.pk})

    assert response.status_code == 400
    assert response.json()["error"]["details"][0]["field"] == "service"


def test_a_static_ip_plan_gets_an_address_at_activation_and_quarantine_at_termination(tenant_a):
    with schema_context(tenant_a.schema_name):
        PrefixFactory(prefix="10.39.0.0/30")  # a dynamic pool: not for static addresses
        PrefixFactory(prefix="10.40.0.0/30", purpose="static")
        plan = ServicePlanFactory(static_ip=True)
        service = ServiceFactory(plan=plan)
        service_activate(service=service, on=timezone.localdate())
        address = service.ip_addresses.get()
        assert (str(address.address), address.status) == ("10.40.0.1", "active")
        assert service.customer.timeline.filter(message__contains="10.40.0.1").exists()

        service_terminate(service=service, on=timezone.localdate())

        address.refresh_from_db()
        assert address.status == "quarantine"
        assert address.quarantined_until == timezone.localdate() + datetime.timedelta(days=7)
        prefix = Prefix.objects.get(purpose="static")
        # In quarantine it is not handed out; after its quarantine it is, first.
        assert [str(a) for a in ipam.available_addresses(prefix, 5)] == ["10.40.0.2"]
        later = address.quarantined_until + datetime.timedelta(days=1)
        assert [str(a) for a in ipam.available_addresses(prefix, 5, today=later)] == [
            "10.40.0.1", "10.40.0.2",
        ]  # fmt: skip


def test_an_address_out_of_quarantine_is_reused_in_place(tenant_a, monkeypatch):
    with schema_context(tenant_a.schema_name):
        prefix = PrefixFactory(prefix="10.41.0.0/30")
        old = IPAddressFactory(
            address="10.41.0.1", status="quarantine",
            quarantined_until=timezone.localdate() - datetime.timedelta(days=1),
        )  # fmt: skip
        service = active_service()

        made = ipam.prefix_allocate(prefix=prefix, count=2, service=service)

        assert [str(row.address) for row in made] == ["10.41.0.1", "10.41.0.2"]
        old.refresh_from_db()
        assert (old.status, old.quarantined_until, old.service) == ("active", None, service)


def test_activation_is_refused_when_no_pool_has_a_free_address(tenant_a):
    with schema_context(tenant_a.schema_name):
        PrefixFactory(prefix="10.41.0.0/24")  # a dynamic pool with room: not for static ones
        PrefixFactory(prefix="10.42.0.0/32", purpose="static")
        IPAddressFactory(address="10.42.0.0")
        service = ServiceFactory(plan=ServicePlanFactory(static_ip=True))

        with pytest.raises(ConflictError, match="no pool of static customer addresses has a free"):
            service_activate(service=service)
        service.refresh_from_db()
        assert service.status == "pending"
        assert not Invoice.objects.filter(customer=service.customer).exists()


def _allocate(url: str, host: str, token: str) -> tuple[int, dict]:
    request = urllib.request.Request(
        url, data=json.dumps({"count": 1}).encode(), method="POST",
        headers={"Host": host, "Authorization": f"Bearer {token}",
                 "Content-Type": "application/json"},
    )  # fmt: skip
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


@pytest.mark.slow
def test_fifty_concurrent_allocations_on_fourteen_free_addresses_over_gunicorn(client_a, tenant_a):
    token = obtain_tokens(client_a)["access"]
    prefix = committed(_in_a, tenant_a, PrefixFactory, prefix="10.50.0.0/28")  # 14 usable
    host = client_a.host
    try:
        with Gunicorn(workers=4) as web, ThreadPoolExecutor(50) as pool:
            url = f"{web.url}{PREFIXES}{prefix.pk}/allocate/"
            answers = list(pool.map(lambda _: _allocate(url, host, token), range(50)))
        statuses = [status for status, _ in answers]
        given = [body["data"][0]["attributes"]["address"] for status, body in answers
                 if status == 201]  # fmt: skip
        assert statuses.count(201) == 14, statuses
        assert statuses.count(409) == 36, statuses
        assert len(set(given)) == 14
        assert {body["error"]["code"] for status, body in answers if status == 409} == {"CONFLICT"}
        stored = _in_a(tenant_a, lambda: sorted(
            str(a) for a in IPAddress.objects.values_list("address", flat=True)
        ))  # fmt: skip
        assert stored == sorted(given)
    finally:
        committed(_in_a, tenant_a, lambda: (IPAddress.objects.all().delete(), prefix.delete()))


def test_another_tenants_prefix_is_a_404_to_its_actions(tenant_a):
    with schema_context(tenant_a.schema_name):
        prefix = PrefixFactory(prefix="10.60.0.0/24")
    api_b = owner_api(tenant_with("isp", has=True))

    allocated = api_b.post_json(f"{PREFIXES}{prefix.pk}/allocate/", {"count": 1})
    listed = api_b.get(f"{PREFIXES}{prefix.pk}/available-ips/")

    assert (allocated.status_code, listed.status_code) == (404, 404)
    assert _in_a(tenant_a, IPAddress.objects.count) == 0


@pytest.mark.parametrize(
    "taken",
    [[], [1], [1, 2, 3, 4, 5], [2, 3, 4], [1, 3, 5, 7, 9], [5, 6, 7, 30], [1, 2, 62], [62],
     list(range(1, 63))],
)  # fmt: skip
def test_free_addresses_are_exactly_those_not_taken_in_order(tenant_a, taken):
    """Against a brute-force count over a /26 (usable .1 to .62), dense, holed and full."""
    with schema_context(tenant_a.schema_name):
        prefix = PrefixFactory(prefix="10.70.0.0/26")
        IPAddress.objects.bulk_create(
            [IPAddress(address=f"10.70.0.{n}", status="active") for n in taken]
        )
        expected = [f"10.70.0.{n}" for n in range(1, 63) if n not in taken]

        for limit in (1, 3, 100):
            found = [str(a) for a in ipam.available_addresses(prefix, limit)]
            assert found == expected[:limit], (taken, limit)
