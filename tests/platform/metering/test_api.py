"""The usage series over the API: a tenant's super admin reads its own rows on its host
(/api/v1/billing/usage/; another tenant's id is a 404, anyone else 403, anonymous 401), platform
staff every tenant's on the public host (/api/v1/platform/usage/), nobody else."""

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.utils import timezone
from django_tenants.utils import schema_context

from apps.platform.metering.models import MB, UsageDay
from tests.conftest import PASSWORD, HostClient, obtain_tokens

pytestmark = pytest.mark.django_db
User = get_user_model()
TENANT = "/api/v1/billing/usage/"
PLATFORM = "/api/v1/platform/usage/"


def day_of(tenant, **values) -> UsageDay:
    return UsageDay.objects.create(tenant=tenant, day=timezone.localdate(), **values)


@pytest.fixture
def staff(db):
    connection.set_schema_to_public()
    User.objects.create_user("operator", "op@example.com", "op-password-123", is_staff=True)
    client = HostClient("localhost")
    return client.authenticate(obtain_tokens(client, "operator", "op-password-123")["access"])


@pytest.fixture
def clerk_a(tenant_a):
    with schema_context(tenant_a.schema_name):
        User.objects.create_user("clerk", password=PASSWORD)
    client = HostClient("tenant-a.localhost")
    return client.authenticate(obtain_tokens(client, "clerk")["access"])


def test_the_super_admin_reads_its_own_series_only(api_a, tenant_a, tenant_b):
    mine = day_of(tenant_a, db_bytes=3 * MB, api_requests={"isp": 5}, api_requests_total=5)
    theirs = day_of(tenant_b, db_bytes=9 * MB)

    listed = api_a.get(TENANT)
    one = api_a.get(f"{TENANT}{mine.pk}/")

    assert listed.status_code == 200
    assert [row["id"] for row in listed.json()["data"]] == [str(mine.pk)]
    attributes = one.json()["data"]["attributes"]
    assert (attributes["tenant"], attributes["db_bytes"]) == ("tenant-a", 3 * MB)
    assert attributes["api_requests"] == {"isp": 5}
    assert api_a.get(f"{TENANT}{theirs.pk}/").status_code == 404


def test_the_tenant_series_is_for_its_super_admin_only(clerk_a, client_a, tenant_a):
    row = day_of(tenant_a)

    for path in (TENANT, f"{TENANT}{row.pk}/"):
        denied = clerk_a.get(path)
        assert denied.status_code == 403
        assert denied.json()["error"]["code"] == "PERMISSION_DENIED"
        assert HostClient("tenant-a.localhost").get(path).status_code == 401


def test_a_bad_day_filter_is_a_400(api_a):
    response = api_a.get(f"{TENANT}?day__gte=yesterday")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "VALIDATION_ERROR"


def test_platform_staff_read_every_tenants_series(staff, tenant_a, tenant_b):
    day_of(tenant_a)
    day_of(tenant_b)

    every = staff.get(PLATFORM).json()["data"]
    only_b = staff.get(f"{PLATFORM}?tenant__slug=tenant-b").json()["data"]

    assert {row["attributes"]["tenant"] for row in every} >= {"tenant-a", "tenant-b"}
    assert {row["attributes"]["tenant"] for row in only_b} == {"tenant-b"}


def test_the_platform_series_refuses_others_and_is_absent_on_tenant_hosts(public_client, api_a):
    connection.set_schema_to_public()
    User.objects.create_user("someone", password="someone-pass-1")
    token = obtain_tokens(public_client, "someone", "someone-pass-1")["access"]

    assert HostClient("localhost").get(PLATFORM).status_code == 401
    assert HostClient("localhost").authenticate(token).get(PLATFORM).status_code == 403
    assert api_a.get(PLATFORM).status_code == 404


def test_the_tenant_series_is_absent_on_the_public_host(staff):
    assert staff.get(TENANT).status_code == 404
