"""The /isp/network/ pages: the prefix tree with utilisation, a prefix's page and its
allocation button, the address list; who may open them; tenant isolation; query counts."""

import pytest
from django_tenants.utils import schema_context

from apps.isp.models import IPAddress
from tests.isp.factories import ServiceFactory
from tests.isp.network_factories import (
    DeviceFactory,
    IPAddressFactory,
    PrefixFactory,
    SiteFactory,
    VrfFactory,
)
from tests.isp.pages_data import make_user, queries_of, sign_in

PATHS = ["/isp/network/", "/isp/network/addresses/", "/isp/network/devices/",
         "/isp/network/sites/"]  # fmt: skip


@pytest.fixture
def staff_a(client_a):
    return client_a.sign_in()


def text(response) -> str:
    return response.content.decode()


@pytest.mark.parametrize("path", PATHS)
def test_network_pages_need_sign_in_and_an_isp_role(client_a, in_tenant_a, path):
    anonymous = client_a.get(path)
    make_user("mike", "Sales Rep")
    sales_rep = sign_in(client_a, "mike").get(path)

    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith("/login/?next=")
    assert sales_rep.status_code == 403


def test_the_prefix_tree_indents_children_and_draws_utilisation(staff_a, in_tenant_a):
    top = PrefixFactory(prefix="100.64.0.0/16", status="container", description="CGNAT")
    pool = PrefixFactory(prefix="100.64.1.0/29", description="Block A")  # 6 usable
    for n in (1, 2, 3):
        IPAddressFactory(address=f"100.64.1.{n}")
    PrefixFactory(prefix="2001:db8::/48", vrf=VrfFactory(name="customers"))

    body = text(staff_a.get("/isp/network/"))

    assert body.index("100.64.0.0/16") < body.index("100.64.1.0/29")
    assert f'href="/isp/network/prefixes/{top.pk}/"' in body
    assert f'class="tree depth-1"><a href="/isp/network/prefixes/{pool.pk}/">100.64.1.0/29' in body
    assert 'class="bar-50"' in body  # 3 of 6 usable
    assert "2001:db8::/48" in body
    assert "customers" in body
    assert 'aria-current="page">Prefixes' in body


def test_the_prefix_tree_filters_and_refuses_a_bad_network_clearly(staff_a, in_tenant_a):
    PrefixFactory(prefix="10.1.0.0/24")
    PrefixFactory(prefix="192.168.0.0/24")

    inside = text(staff_a.get("/isp/network/?within=10.0.0.0/8"))
    bad = staff_a.get("/isp/network/?within=10.0.0.1/8")

    assert "10.1.0.0/24" in inside
    assert "192.168.0.0/24" not in inside
    assert bad.status_code == 200
    assert "within:" in text(bad)
    assert "192.168.0.0/24" not in text(bad)


def test_a_prefix_page_shows_addresses_free_ones_and_allocates(staff_a, in_tenant_a):
    prefix = PrefixFactory(prefix="10.7.0.0/29")
    IPAddressFactory(address="10.7.0.1", description="Gateway")

    page = text(staff_a.get(f"/isp/network/prefixes/{prefix.pk}/"))
    allocated = staff_a.post(
        f"/isp/network/prefixes/{prefix.pk}/allocate/", {"count": "2", "description": "Ann"}
    )
    after = text(staff_a.get(f"/isp/network/prefixes/{prefix.pk}/"))

    assert "Gateway" in page
    assert "<code>10.7.0.2</code>" in page
    assert allocated.status_code == 302
    assert "Allocated 10.7.0.2, 10.7.0.3." in after
    assert sorted(
        (str(a), d) for a, d in IPAddress.objects.values_list("address", "description")
    ) == [("10.7.0.1", "Gateway"), ("10.7.0.2", "Ann"), ("10.7.0.3", "Ann")]


@pytest.mark.parametrize("count", ["0", "999", "abc", "-1"])
def test_a_refused_allocation_on_the_page_says_why_and_writes_nothing(staff_a, in_tenant_a, count):
    prefix = PrefixFactory(prefix="10.8.0.0/30")

    staff_a.post(f"/isp/network/prefixes/{prefix.pk}/allocate/", {"count": count})
    page = text(staff_a.get(f"/isp/network/prefixes/{prefix.pk}/"))

    assert "Allocate between 1 and 256 addresses" in page or "free address" in page
    assert not IPAddress.objects.exists()


def test_a_full_prefix_says_so_and_refuses_more(staff_a, in_tenant_a):
    prefix = PrefixFactory(prefix="10.9.0.0/31")
    IPAddressFactory(address="10.9.0.0")
    IPAddressFactory(address="10.9.0.1")

    staff_a.post(f"/isp/network/prefixes/{prefix.pk}/allocate/", {"count": "1"})
    page = text(staff_a.get(f"/isp/network/prefixes/{prefix.pk}/"))

    assert "No free address: the prefix is full." in page
    assert "has 0 free addresses" in page
    assert IPAddress.objects.count() == 2


def test_the_address_list_filters_by_status_and_prefix(staff_a, in_tenant_a):
    prefix = PrefixFactory(prefix="10.11.0.0/24")
    IPAddressFactory(address="10.11.0.5", status="active", description="in-prefix")
    IPAddressFactory(address="172.16.0.5", status="reserved", description="elsewhere")

    reserved = text(staff_a.get("/isp/network/addresses/?status=reserved"))
    in_prefix = text(staff_a.get(f"/isp/network/addresses/?prefix={prefix.pk}"))

    assert "elsewhere" in reserved
    assert "in-prefix" not in reserved
    assert "in-prefix" in in_prefix
    assert "elsewhere" not in in_prefix


def test_another_tenants_prefix_is_a_404_on_the_pages(client_b, tenant_a):
    with schema_context(tenant_a.schema_name):
        prefix = PrefixFactory(prefix="10.12.0.0/24")
    client_b.sign_in()

    shown = client_b.get(f"/isp/network/prefixes/{prefix.pk}/")
    allocated = client_b.post(f"/isp/network/prefixes/{prefix.pk}/allocate/", {"count": "1"})

    assert shown.status_code == 404
    assert allocated.status_code == 404
    with schema_context(tenant_a.schema_name):
        assert not IPAddress.objects.exists()


def test_the_prefix_tree_costs_the_same_queries_with_many_prefixes(staff_a, in_tenant_a):
    PrefixFactory()
    few = queries_of(staff_a, "/isp/network/")
    for _ in range(15):
        PrefixFactory(vrf=VrfFactory())

    assert queries_of(staff_a, "/isp/network/") == few


def test_devices_list_and_detail_show_uplinks_addresses_and_the_served_customer(
    staff_a, in_tenant_a
):
    site = SiteFactory(name="Leeds POP")
    core = DeviceFactory(name="core-leeds", site=site)
    service = ServiceFactory()
    cpe = DeviceFactory(
        name="cpe-0001", role="cpe", parent=core, service=service,
        management_ip=IPAddressFactory(address="10.255.0.20", status="active"),
    )  # fmt: skip

    listed = text(staff_a.get("/isp/network/devices/?role=cpe"))
    detail = text(staff_a.get(f"/isp/network/devices/{core.pk}/"))
    cpe_page = text(staff_a.get(f"/isp/network/devices/{cpe.pk}/"))

    assert "cpe-0001" in listed
    assert ">core-leeds</a></td><td>Router" not in listed  # filtered to CPEs
    assert "10.255.0.20" in listed
    assert service.customer.name in listed
    assert "cpe-0001" in detail
    assert "Leeds POP" in detail
    assert "core-leeds" in cpe_page


def test_sites_are_listed_and_drawn_on_the_map(staff_a, in_tenant_a):
    SiteFactory(name="Leeds POP", latitude="53.800800", longitude="-1.549100")
    SiteFactory(name="York <cabinet>", latitude="53.959600", longitude="-1.081900")
    SiteFactory(name="Unplaced", latitude=None, longitude=None)

    body = text(staff_a.get("/isp/network/sites/"))

    assert 'aria-label="Map of 2 sites"' in body
    assert "York &lt;cabinet&gt;" in body
    assert "<cabinet>" not in body
    assert "Unplaced" in body


def test_another_tenants_device_is_a_404_on_the_pages(client_b, tenant_a):
    with schema_context(tenant_a.schema_name):
        device = DeviceFactory()
    client_b.sign_in()

    assert client_b.get(f"/isp/network/devices/{device.pk}/").status_code == 404
