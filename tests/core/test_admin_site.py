"""Each host's console shows only what lives in its schema (apps.core.admin_site)."""

import pytest
from django.db import connection
from django_tenants.utils import schema_context
from rest_framework_api_key.models import APIKey

from apps.identity.models import User
from apps.platform.licensing.models import Subscription
from apps.platform.licensing.services import subscription_set_overrides
from tests.conftest import HostClient, host_of

pytestmark = pytest.mark.django_db

API_KEYS = "/admin/rest_framework_api_key/apikey/"


@pytest.fixture
def tenant_console(tenant_a) -> HostClient:
    """Tenant A's super admin in the tenant's console."""
    return HostClient(host_of(tenant_a.slug)).sign_in()


@pytest.fixture
def platform_console() -> HostClient:
    connection.set_schema_to_public()
    User.objects.create_superuser("console-op", "op@example.com", "op-password-1")
    return HostClient("localhost").sign_in("console-op", "op-password-1")


def test_a_tenant_console_neither_lists_nor_opens_the_platforms_api_keys(tenant_console, tenant_a):
    """API keys live in the public schema; through the tenant's search path (tenant, public) a
    tenant's super admin used to list them, and could have added one for the management API."""
    connection.set_schema_to_public()
    APIKey.objects.create_key(name="billing-system")

    index = tenant_console.get("/admin/").content.decode()
    pages = [tenant_console.get(url) for url in (API_KEYS, f"{API_KEYS}add/")]
    added = tenant_console.post(f"{API_KEYS}add/", {"name": "mine"})

    assert "API key" not in index
    assert [page.status_code for page in pages] == [404, 404]
    assert added.status_code == 404
    connection.set_schema_to_public()
    assert list(APIKey.objects.values_list("name", flat=True)) == ["billing-system"]
    with schema_context(tenant_a.schema_name):
        assert tenant_console.get("/admin/identity/user/").status_code == 200  # its own apps


def test_the_platform_console_shows_no_sections_of_tenant_apps(platform_console):
    index = platform_console.get("/admin/").content.decode()

    assert "Not available for" not in index
    assert "API key" in index  # its own: the management API's keys
    assert platform_console.get("/admin/isp/customer/").status_code == 404


def test_a_model_whose_plan_feature_the_tenant_lacks_is_not_listed(
    tenant_console, tenant_a, django_capture_on_commit_callbacks
):
    """The ISP declares `admin_features`: the dunning policy's pages are listed only on plans
    with `isp.dunning` (its page still answers, read-only: tests/isp/test_admin.py)."""
    without = tenant_console.get("/admin/isp/").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        subscription_set_overrides(
            subscription=Subscription.objects.get(tenant=tenant_a, app__key="isp"),
            features={"isp.dunning": True},
            actor="test",
        )
    with_feature = tenant_console.get("/admin/isp/").content.decode()

    assert "/admin/isp/dunningstep/" not in without
    assert "/admin/isp/invoice/" in without
    assert "/admin/isp/dunningstep/" in with_feature
