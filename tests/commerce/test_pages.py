"""The shop's pages: the storefront is public on the tenant host (anonymous visitors browse it;
only published products, with what is available); the back office needs a role opening it;
neither exists for a tenant without E-commerce; another tenant's products never show."""

import pytest
from django_tenants.utils import schema_context

from apps.identity import services as identity
from apps.identity.models import Role
from tests.commerce import factories as f
from tests.conftest import TENANTS, HostClient, host_of

pytestmark = pytest.mark.django_db


def test_anonymous_visitors_browse_the_storefront(client_a, tenant_a):
    with schema_context(tenant_a.schema_name):
        f.product(name="Visible Router", sku="PG-1", stock=3)
        f.product(name="Draft Router", sku="PG-2", stock=3, status="draft")

    response = client_a.get("/shop/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "Visible Router" in html
    assert "3 in stock" in html
    assert "Draft Router" not in html


def test_anonymous_visitors_cannot_see_the_back_office(client_a):
    for path in ("/commerce/", "/commerce/products/", "/commerce/orders/"):
        response = client_a.get(path)
        assert response.status_code == 302, path
        assert response["Location"].startswith("/login/")
    assert client_a.get("/api/v1/commerce/products/").status_code == 401


def test_the_back_office_pages_show_the_shop(client_a, tenant_a):
    with schema_context(tenant_a.schema_name):
        f.order()
    client_a.sign_in()

    for path in ("/commerce/", "/commerce/products/", "/commerce/orders/"):
        assert client_a.get(path).status_code == 200, path


def test_a_user_whose_roles_do_not_open_the_back_office_is_refused(tenant_a):
    with schema_context(tenant_a.schema_name):
        user = identity.user_create(username="shop-only", password="shop-password-1")
        identity.role_grant(user=user, role=Role.objects.get(name="Customer"))
    client = HostClient(host_of(TENANTS["a"]))
    signed_in = client.post("/login/", {"username": "shop-only", "password": "shop-password-1"})
    assert signed_in.status_code == 302

    assert client.get("/commerce/").status_code == 403
    assert client.get("/shop/").status_code == 200


def test_a_tenant_without_e_commerce_has_no_shop(client_b):
    assert client_b.get("/shop/").status_code == 403
    assert client_b.get("/commerce/").status_code in (302, 403)


def test_another_tenants_products_never_show(client_a, shop_tenant_slug):
    from apps.platform.tenants.models import Tenant

    with schema_context(Tenant.objects.get(slug=shop_tenant_slug).schema_name):
        f.product(name="Their Router", sku="THEIRS-1", stock=3)

    assert "Their Router" not in client_a.get("/shop/").content.decode()
