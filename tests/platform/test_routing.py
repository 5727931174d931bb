"""Schema routing by host (DESIGN.md §3, §9)."""

import pytest
from django.db import connection
from django_tenants.utils import schema_context

from apps.core.localcache import tenancy_cache
from apps.platform.tenants.models import Domain, Tenant
from apps.platform.tenants.routing import tenant_for_host
from tests.conftest import HostClient, obtain_tokens

pytestmark = pytest.mark.django_db


@pytest.mark.smoke
def test_tenant_host_routes_to_its_schema(api_a, tenant_a):
    body = api_a.get("/api/v1/me/").json()

    assert body["data"]["attributes"]["tenant"] == tenant_a.schema_name


def test_public_host_serves_the_platform_and_tenant_host_the_tenant(client_a):
    platform_page = HostClient("localhost").get("/")
    tenant_page = client_a.get("/login/")

    assert b"DotMac platform" in platform_page.content
    assert b"Tenant A" in tenant_page.content
    assert b"Tenant A" not in platform_page.content


def test_same_username_is_a_different_person_in_each_tenant(tenant_a, tenant_b):
    from apps.identity.models import User

    with schema_context(tenant_a.schema_name):
        User.objects.filter(username="owner").update(first_name="Alice")
    with schema_context(tenant_b.schema_name):
        assert User.objects.get(username="owner").first_name != "Alice"


def test_routing_is_cached_per_process_no_query_for_a_known_host(
    client_a, django_assert_num_queries
):
    client_a.get("/health/live")
    tenant_for_host(client_a.host)  # warm

    with django_assert_num_queries(0):
        assert tenant_for_host(client_a.host).slug == "tenant-a"


def test_new_domain_routes_on_the_next_request_and_a_removed_one_stops(
    tenant_a, django_capture_on_commit_callbacks
):
    host = "crm.tenant-a-custom.localhost"
    assert HostClient(host).get("/login/").status_code == 404

    with django_capture_on_commit_callbacks(execute=True):
        domain = Domain.objects.create(domain=host, tenant=tenant_a, is_primary=False)
    assert HostClient(host).get("/login/").status_code == 200

    with django_capture_on_commit_callbacks(execute=True):
        domain.delete()
    assert HostClient(host).get("/login/").status_code == 404


def test_invalidation_reaches_other_processes_through_the_shared_generation(tenant_a):
    from apps.core.localcache import GenerationalCache

    other_process = GenerationalCache(tenancy_cache.namespace)
    loads = []
    other_process.get_or_load("k", lambda: loads.append(1) or "v1")
    other_process.get_or_load("k", lambda: loads.append(1) or "v1")
    assert len(loads) == 1

    tenancy_cache.invalidate()

    assert other_process.get_or_load("k", lambda: "v2") == "v2"


def test_tenant_admin_never_lists_the_installations_tenants(client_a):
    client_a.sign_in()

    index = client_a.get("/admin/")
    tenants = client_a.get("/admin/tenants/tenant/")

    assert index.status_code == 200
    assert b"/admin/tenants/" not in index.content
    assert tenants.status_code in (403, 404)


def test_platform_admin_lists_tenants(db):
    from apps.identity.models import User

    connection.set_schema_to_public()
    User.objects.create_superuser("platform-op", "op@example.com", "op-password-1")
    client = HostClient("localhost").sign_in("platform-op", "op-password-1")

    response = client.get("/admin/tenants/tenant/")

    assert response.status_code == 200
    assert b"tenant-a" in response.content
    assert b"tenant-b" in response.content


def test_session_of_one_tenant_is_not_valid_on_another_tenants_host(client_a, client_b):
    client_a.sign_in()
    assert client_a.get("/admin/").status_code == 200
    session_cookie = client_a.cookies["sessionid"].value

    client_b.cookies["sessionid"] = session_cookie
    response = client_b.get("/admin/")

    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


@pytest.mark.parametrize(
    "slug",
    ["www", "admin", "Bad_Slug", "-x", "ab", "a" * 64, "tenant-template", "spare-0a1b2c",
     "pg-catalog"],
)  # fmt: skip
def test_reserved_or_malformed_slugs_are_refused(slug):
    from django.core.exceptions import ValidationError

    from apps.platform.tenants.services import tenant_request

    with pytest.raises(ValidationError):
        tenant_request(
            name="X", slug=slug, admin_email="o@x.com", admin_password="a-long-password-1",
            dispatch=False,
        )  # fmt: skip
    assert not Tenant.objects.filter(slug=slug.lower()).exists()


def test_public_host_token_is_useless_on_tenant_host(db, client_a):
    from apps.identity.models import User

    connection.set_schema_to_public()
    User.objects.create_user("staffer", password="staff-password-1")
    tokens = obtain_tokens(HostClient("localhost"), "staffer", "staff-password-1")

    response = client_a.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")

    assert response.status_code == 401


def test_tenant_admin_refuses_a_user_who_is_not_staff(client_a, tenant_a):
    from apps.identity.models import User

    with schema_context(tenant_a.schema_name):
        User.objects.create_user("clerk", password="clerk-password-1")

    login = client_a.post("/admin/login/", {"username": "clerk", "password": "clerk-password-1"})
    index = client_a.get("/admin/")

    assert login.status_code == 200  # the form again, with an error
    assert index.status_code == 302
    assert "/admin/login/" in index["Location"]
