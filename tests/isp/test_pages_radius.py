"""The RADIUS pages: the NAS registry and its sessions under /isp/network/, a service's
connection panel (login as the router sends it, open sessions, usage by day, the month against
the cap), the portal's usage of her own service; Basic says RADIUS is not in the plan; and the
demo's RADIUS contract (Jane's login, the NAS at 127.0.0.1)."""

import datetime

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from apps.core.demo import DemoTenant, DemoUser
from apps.identity.services import user_create
from apps.isp import demo, demo_radius
from apps.isp.models import Nas, RadiusLogin, RadiusSession, UsageDay
from apps.platform.tenants.models import NasRoute
from tests.isp.factories import CustomerFactory, ServicePlanFactory, active_service
from tests.isp.pages_data import make_portal_customer, queries_of, sign_in
from tests.isp.radius_factories import (
    NasFactory,
    RadiusLoginFactory,
    RadiusSessionFactory,
    UsageDayFactory,
)
from tests.isp.test_api_radius import on_pro  # noqa: F401 (a fixture)

pytestmark = pytest.mark.django_db
PAGES = ["/isp/network/nas/", "/isp/network/sessions/"]


@pytest.fixture
def staff_a(client_a):
    return client_a.sign_in()


def text(response) -> str:
    assert response.status_code == 200, response.content[:500]
    return response.content.decode()


def test_the_nas_list_and_a_nas_with_its_open_sessions(on_pro, staff_a, tenant_a):  # noqa: F811
    with schema_context(tenant_a.schema_name):
        nas = NasFactory(name="bng-leeds", address="198.51.100.9")
        live = RadiusSessionFactory(nas=nas, status="open", stopped_at=None,
                                    username="ann@tenant-a")  # fmt: skip
        RadiusSessionFactory(nas=nas, username="old@tenant-a")

    listed = text(staff_a.get("/isp/network/nas/"))
    detail = text(staff_a.get(f"/isp/network/nas/{nas.pk}/"))

    assert "bng-leeds" in listed
    assert "198.51.100.9" in listed
    assert "ann@tenant-a" in detail
    assert "old@tenant-a" not in detail
    assert nas.secret not in detail
    assert live.service.customer.name in detail


def test_the_sessions_list_filters(on_pro, staff_a, tenant_a):  # noqa: F811
    with schema_context(tenant_a.schema_name):
        RadiusSessionFactory(status="open", stopped_at=None, username="live@tenant-a")
        RadiusSessionFactory(username="gone@tenant-a")

    everything = text(staff_a.get("/isp/network/sessions/"))
    open_only = text(staff_a.get("/isp/network/sessions/?status=open"))

    assert "live@tenant-a" in everything
    assert "gone@tenant-a" in everything
    assert "live@tenant-a" in open_only
    assert "gone@tenant-a" not in open_only


def test_the_sessions_list_costs_the_same_for_more_rows(on_pro, staff_a, tenant_a):  # noqa: F811
    with schema_context(tenant_a.schema_name):
        nas = NasFactory()
        RadiusSessionFactory(nas=nas)
        few = queries_of(staff_a, "/isp/network/sessions/")
        for _ in range(10):
            RadiusSessionFactory(nas=nas)
        assert queries_of(staff_a, "/isp/network/sessions/") == few


def test_the_service_page_shows_its_connection(on_pro, staff_a, tenant_a):  # noqa: F811
    today = timezone.localdate()
    with schema_context(tenant_a.schema_name):
        service = active_service(plan=ServicePlanFactory(data_cap_gb=100))
        RadiusLoginFactory(service=service, username="ann", password="ann-secret-pass")
        RadiusSessionFactory(service=service, status="open", stopped_at=None,
                             username="ann@tenant-a")  # fmt: skip
        for back in range(5):
            UsageDayFactory(service=service, day=today - datetime.timedelta(days=back))

    body = text(staff_a.get(f"/isp/services/{service.pk}/"))

    assert 'id="connection"' in body
    assert "ann@tenant-a" in body
    assert "<svg" in body
    assert "of a 100 GB data cap" in body
    assert "ann-secret-pass" in body  # the super admin may change logins: she gives it out
    customer_page = text(staff_a.get(f"/isp/customers/{service.customer_id}/"))
    assert f"/isp/services/{service.pk}/" in customer_page


def test_on_basic_the_radius_pages_say_it_is_not_in_the_plan(staff_a, tenant_a):
    with schema_context(tenant_a.schema_name):
        service = active_service()

    for path in PAGES:
        response = staff_a.get(path)
        assert response.status_code == 403
        assert "RADIUS is not in your plan" in response.content.decode()
    service_page = text(staff_a.get(f"/isp/services/{service.pk}/"))
    assert "come with the Pro and Enterprise plans" in service_page


def test_another_tenants_nas_is_a_404(on_pro, staff_a, tenant_a, tenant_b):  # noqa: F811
    with schema_context(tenant_b.schema_name):
        nas = NasFactory()
    with schema_context(tenant_a.schema_name):
        assert not Nas.objects.filter(pk=nas.pk).exists()

    assert staff_a.get(f"/isp/network/nas/{nas.pk}/").status_code == 404


def test_the_portal_shows_her_usage_and_fair_use(on_pro, client_a, tenant_a):  # noqa: F811
    today = timezone.localdate()
    with schema_context(tenant_a.schema_name):
        jane = make_portal_customer("jane", "Jane Doe")
        service = active_service(customer=jane, plan=ServicePlanFactory(data_cap_gb=10))
        RadiusLoginFactory(service=service, username="jane").__class__.objects.filter(
            service=service
        ).update(throttled_month=today.replace(day=1))
        UsageDayFactory(service=service, day=today)
        theirs = active_service(customer=CustomerFactory(name="Bob Roe"))
    portal = sign_in(client_a, "jane")

    body = text(portal.get(f"/portal/services/{service.pk}/"))
    other = portal.get(f"/portal/services/{theirs.pk}/")

    assert "5.0 GB" in body
    assert "of a 10 GB data cap" in body
    assert "Slowed down (fair use)" in body
    assert "jane@tenant-a" in body
    assert "<svg" in body
    assert other.status_code == 404
    assert f"/portal/services/{service.pk}/" in text(portal.get("/portal/"))


def test_the_demo_has_the_nas_and_janes_login(in_tenant_a, monkeypatch):
    monkeypatch.setitem(demo.CUSTOMERS, "tenant-a", 12)
    monkeypatch.setitem(demo_radius.NAS_ADDRESSES, "tenant-a", "127.0.0.1")
    user_create(username="jane", email="jane@tenant-a.example.com", password="x-Secret-123",
                first_name="Jane", last_name="Doe")  # fmt: skip
    tenant = DemoTenant(slug="tenant-a", name="A", apps=("isp",),
                        users=(DemoUser("jane", "Jane", "Doe", "Customer"),))  # fmt: skip

    demo.isp_demo_ensure(tenant=in_tenant_a, demo=tenant, password="dotmac-demo")
    counts = [M.objects.count() for M in (Nas, RadiusLogin, RadiusSession, UsageDay)]
    demo.isp_demo_ensure(tenant=in_tenant_a, demo=tenant, password="dotmac-demo")

    assert [M.objects.count() for M in (Nas, RadiusLogin, RadiusSession, UsageDay)] == counts
    nas = Nas.objects.get(address="127.0.0.1")
    assert (nas.secret, nas.type) == ("dotmac-demo", "mikrotik")
    assert NasRoute.objects.get(address="127.0.0.1").tenant_id == in_tenant_a.pk
    jane = RadiusLogin.objects.get(username="jane")
    assert jane.password == "dotmac-demo"
    assert jane.service.customer.user.username == "jane"
    assert RadiusLogin.objects.count() > 1
    assert RadiusSession.objects.filter(status="closed").exists()
    assert UsageDay.objects.filter(service=jane.service).count() == 30
