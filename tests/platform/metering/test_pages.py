"""Who sees resource use: the tenant's super admin its own on /billing/usage/ (anyone else of
the tenant 403, another tenant's figures never), platform staff with the permission every
tenant's on the console (top tenants by each measure, daily totals), nobody else."""

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.utils import timezone
from django_tenants.utils import schema_context

from apps.platform.metering.models import MB, UsageDay
from tests.conftest import HostClient
from tests.isp.pages_data import make_user, sign_in
from tests.platform.metering.conftest import set_quota

pytestmark = pytest.mark.django_db
USAGE = "/billing/usage/"
CONSOLE = ["/admin/metering/usageday/overview/", "/admin/metering/usageday/"]


def day_of(tenant, **values) -> UsageDay:
    return UsageDay.objects.create(tenant=tenant, day=timezone.localdate(), **values)


def operator(username: str, *permissions: str) -> HostClient:
    from apps.identity.models import User

    connection.set_schema_to_public()
    user = User.objects.create_user(username, password="op-password-1", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename__in=permissions))
    return HostClient("localhost").sign_in(username, "op-password-1")


def test_the_super_admin_sees_its_own_usage_charts_quotas_and_apps(client_a, tenant_a, tenant_b):
    set_quota(tenant_a, "platform.max_storage_mb", 1000)
    day_of(tenant_a, db_bytes=300 * MB, storage_bytes=250 * MB, api_requests={"isp": 4321},
           api_requests_total=4321, task_seconds={"isp": 12.5}, task_seconds_total=12.5,
           active_users=7)  # fmt: skip
    day_of(tenant_b, db_bytes=999 * MB, api_requests={"projects": 98765},
           api_requests_total=98765, active_users=55)  # fmt: skip

    html = client_a.sign_in().get(USAGE).content.decode()

    assert 'data-testid="chart-db_bytes"' in html
    assert "300.0\xa0MB" in html
    assert "4,321" in html
    assert "12.5 s" in html
    assert "7 active users" in html
    assert "of 1000 MB (25 %)" in html
    assert "98,765" not in html
    assert "999.0" not in html
    assert "projects" not in html


def test_usage_is_for_the_super_admin_only(client_a, tenant_a):
    with schema_context(tenant_a.schema_name):
        make_user("sarah", "IT Manager")

    assert client_a.get(USAGE).status_code == 302  # to sign in
    assert sign_in(client_a, "sarah").get(USAGE).status_code == 403


def test_usage_is_not_a_page_of_the_public_host(public_client):
    assert public_client.get(USAGE).status_code == 404


def test_the_console_ranks_the_tenants_by_each_measure(db, tenant_a, tenant_b):
    day_of(tenant_a, db_bytes=300 * MB, storage_bytes=5 * MB, api_requests_total=10)
    day_of(tenant_b, db_bytes=100 * MB, storage_bytes=50 * MB, api_requests_total=20)
    viewer = operator("viewer", "view_usageday", "view_tenant")

    response = viewer.get(CONSOLE[0])
    html = response.content.decode()

    assert response.status_code == 200
    for measure in ("db_bytes", "storage_bytes", "api_requests_total", "task_seconds_total",
                    "active_users"):  # fmt: skip
        assert f'data-testid="top-{measure}"' in html
        assert f'data-testid="total-{measure}"' in html
    database = html.split('data-testid="top-db_bytes"')[1].split("</section>")[0]
    assert database.index(tenant_a.name) < database.index(tenant_b.name)
    storage = html.split('data-testid="top-storage_bytes"')[1].split("</section>")[0]
    assert storage.index(tenant_b.name) < storage.index(tenant_a.name)
    assert "400.0\xa0MB" in html  # the day's database total over both


@pytest.mark.parametrize("path", CONSOLE)
def test_the_console_pages_need_the_permission(db, path):
    assert operator("viewer", "view_usageday").get(path).status_code == 200
    assert operator("nobody").get(path).status_code == 403
    assert HostClient("localhost").get(path).status_code == 302


@pytest.mark.parametrize("path", CONSOLE)
def test_the_console_pages_are_not_on_a_tenant_host(client_a, path):
    assert client_a.sign_in().get(path).status_code == 404
