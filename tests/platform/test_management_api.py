"""The management API (/api/v1/platform/) and provisioning, over HTTP."""

import time

import pytest
from django.db import connection
from django_tenants.utils import schema_context, schema_exists
from rest_framework_api_key.models import APIKey

from apps.core.registry import registry
from apps.identity.models import User
from apps.platform.licensing.models import Subscription
from apps.platform.tenants import offboarding, schemas, services
from apps.platform.tenants.constants import OFFBOARD_TASK, PROVISION_TASK
from apps.platform.tenants.models import Domain, Tenant
from tests.committed import committed
from tests.conftest import HostClient, obtain_tokens
from tests.dispatching import record_dispatch

pytestmark = pytest.mark.django_db

NEW_TENANT = {
    "name": "Delta Networks",
    "slug": "delta-net",
    "admin_email": "ops@delta.example.com",
    "admin_password": "a-long-password-1",
    "apps": ["isp", "crm"],
}


@pytest.fixture
def staff(db):
    connection.set_schema_to_public()
    User.objects.create_user("operator", "op@example.com", "op-password-123", is_staff=True)
    client = HostClient("localhost")
    return client.authenticate(obtain_tokens(client, "operator", "op-password-123")["access"])


@pytest.fixture
def api_key_client(db):
    connection.set_schema_to_public()
    _, key = APIKey.objects.create_key(name="billing-system")
    return HostClient("localhost", HTTP_AUTHORIZATION=f"Api-Key {key}")


@pytest.fixture
def dispatched(monkeypatch):
    """Record provisioning tasks instead of sending them (the Celery path has its own test)."""
    return record_dispatch(monkeypatch, PROVISION_TASK)


# --- Permissions ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/api/v1/platform/tenants/", "/api/v1/platform/subscriptions/",
             "/api/v1/platform/apps/", "/api/v1/platform/plans/"],
)  # fmt: skip
def test_anonymous_and_non_staff_are_refused(public_client, path):
    User.objects.create_user("customer", password="customer-pass-1")
    token = obtain_tokens(public_client, "customer", "customer-pass-1")["access"]

    anonymous = HostClient("localhost").get(path)
    non_staff = HostClient("localhost").authenticate(token).get(path)

    assert anonymous.status_code == 401
    assert non_staff.status_code == 403
    assert non_staff.json()["error"]["code"] == "PERMISSION_DENIED"


def test_management_api_does_not_exist_on_tenant_hosts(api_a):
    response = api_a.get("/api/v1/platform/tenants/")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "NOT_FOUND"


def test_tenant_super_admin_token_is_refused_on_the_public_host(client_a):
    token = obtain_tokens(client_a)["access"]

    response = HostClient("localhost").authenticate(token).get("/api/v1/platform/tenants/")

    assert response.status_code == 401


def test_api_key_opens_the_management_api(api_key_client):
    response = api_key_client.get("/api/v1/platform/tenants/")

    assert response.status_code == 200
    slugs = {row["attributes"]["slug"] for row in response.json()["data"]}
    assert {"tenant-a", "tenant-b"} <= slugs
    assert "public" not in slugs


def test_revoked_api_key_is_refused(db):
    key_row, key = APIKey.objects.create_key(name="old")
    key_row.revoked = True
    key_row.save()

    response = HostClient("localhost", HTTP_AUTHORIZATION=f"Api-Key {key}").get(
        "/api/v1/platform/tenants/"
    )

    assert response.status_code in (401, 403)


# --- Tenants ----------------------------------------------------------------------------------


@pytest.mark.smoke
def test_create_tenant_answers_202_with_the_status_to_poll(
    staff, dispatched, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = staff.post_json("/api/v1/platform/tenants/", NEW_TENANT)

    assert response.status_code == 202
    body = response.json()
    tenant_id = body["data"]["id"]
    assert body["data"]["attributes"]["status"] == "pending"
    assert body["data"]["attributes"]["host"] == "delta-net.localhost"
    assert "admin_password" not in body["data"]["attributes"]
    assert response["Location"] == f"/api/v1/platform/tenants/{tenant_id}/"
    assert dispatched == [int(tenant_id)]
    tenant = Tenant.objects.get(pk=tenant_id)
    assert tenant.source == "api"
    assert tenant.admin_password_hash.startswith("md5$")  # hashed, never clear
    polled = staff.get(f"/api/v1/platform/tenants/{tenant_id}/").json()
    assert polled["data"]["attributes"]["status"] == "pending"


def test_same_slug_twice_creates_one_tenant(staff, dispatched):
    first = staff.post_json("/api/v1/platform/tenants/", NEW_TENANT)
    second = staff.post_json("/api/v1/platform/tenants/", NEW_TENANT)

    assert first.status_code == 202
    assert second.status_code == 409
    assert second.json()["error"]["code"] == "CONFLICT"
    assert Tenant.objects.filter(slug="delta-net").count() == 1


@pytest.mark.parametrize(
    ("change", "field"),
    [({"slug": "www"}, "slug"), ({"slug": "No Spaces"}, "slug"), ({"apps": ["erp"]}, "apps"),
     ({"admin_password": "123"}, None), ({"admin_email": "nope"}, "admin_email")],
)  # fmt: skip
def test_invalid_tenant_requests_are_validation_errors_and_create_nothing(staff, change, field):
    response = staff.post_json("/api/v1/platform/tenants/", {**NEW_TENANT, **change})

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "VALIDATION_ERROR"
    if field:
        assert field in {d["field"] for d in error["details"]}
    assert not Tenant.objects.filter(name="Delta Networks").exists()


def test_suspend_and_resume_a_tenant(staff, tenant_b, client_b, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        suspended = staff.post_json(
            f"/api/v1/platform/tenants/{tenant_b.pk}/suspend/", {"reason": "unpaid invoices"}
        )
    blocked_api = client_b.get("/api/v1/me/")
    blocked_page = client_b.get("/")
    with django_capture_on_commit_callbacks(execute=True):
        resumed = staff.post_json(f"/api/v1/platform/tenants/{tenant_b.pk}/resume/")

    assert suspended.json()["data"]["attributes"]["status"] == "suspended"
    assert blocked_api.status_code == 403
    assert "suspended" in blocked_api.json()["error"]["message"]
    assert blocked_page.status_code == 403
    assert b"This workspace is suspended" in blocked_page.content
    assert resumed.json()["data"]["attributes"]["status"] == "active"
    assert client_b.get("/login/").status_code == 200
    again = staff.post_json(f"/api/v1/platform/tenants/{tenant_b.pk}/resume/")
    assert again.status_code == 409


def test_usage_of_a_tenant(staff, tenant_a):
    response = staff.get(f"/api/v1/platform/tenants/{tenant_a.pk}/usage/")

    assert response.status_code == 200
    limits = {row["attributes"]["limit_key"] for row in response.json()["data"]}
    assert limits == {
        "isp.max_customers",
        "isp.max_devices",
        "crm.max_users",
        "commerce.max_products",
        "platform.max_storage_mb",  # once, though every plan carries it
        "platform.max_db_mb",
    }
    platform = [row["attributes"] for row in response.json()["data"]
                if row["attributes"]["limit_key"].startswith("platform.")]  # fmt: skip
    assert len(platform) == 2


def test_unknown_tenant_is_not_found(staff):
    assert staff.get("/api/v1/platform/tenants/999999/").status_code == 404


def test_tenant_list_keeps_a_constant_query_count(staff, django_assert_max_num_queries):
    with django_assert_max_num_queries(8):
        response = staff.get("/api/v1/platform/tenants/")
    assert response.status_code == 200


# --- Subscriptions and catalog ------------------------------------------------------------------


def test_catalog_lists_the_four_apps_with_their_plans(staff):
    apps = staff.get("/api/v1/platform/apps/").json()["data"]
    plans = staff.get("/api/v1/platform/plans/?app__key=crm").json()["data"]

    assert [a["attributes"]["key"] for a in apps] == ["isp", "crm", "commerce", "projects"]
    assert all(len(a["attributes"]["plans"]) == 3 for a in apps)
    assert [p["attributes"]["key"] for p in plans] == ["basic", "pro", "enterprise"]


def test_subscription_create_change_plan_cancel_with_history(staff, tenant_b):
    created = staff.post_json(
        "/api/v1/platform/subscriptions/",
        {"tenant": "tenant-b", "app": "crm", "plan": "basic", "status": "active"},
    )
    sub_id = created.json()["data"]["id"]
    changed = staff.post_json(
        f"/api/v1/platform/subscriptions/{sub_id}/change-plan/", {"plan": "pro"}
    )
    cancelled = staff.post_json(f"/api/v1/platform/subscriptions/{sub_id}/cancel/")
    events = staff.get(f"/api/v1/platform/subscriptions/{sub_id}/events/").json()["data"]

    assert created.status_code == 201
    assert changed.json()["data"]["attributes"]["plan_key"] == "pro"
    assert cancelled.json()["data"]["attributes"]["status"] == "cancelled"
    assert [e["attributes"]["action"] for e in events] == [
        "cancelled", "plan_changed", "activated",
    ]  # fmt: skip
    assert {e["attributes"]["actor"] for e in events} == {"operator"}


def test_subscription_errors(staff):
    duplicate = staff.post_json(
        "/api/v1/platform/subscriptions/", {"tenant": "tenant-a", "app": "crm", "plan": "basic"}
    )
    wrong_plan = staff.post_json(
        "/api/v1/platform/subscriptions/", {"tenant": "tenant-b", "app": "crm", "plan": "gold"}
    )
    sub = Subscription.objects.get(tenant__slug="tenant-a", app__key="crm")
    other_apps_plan = staff.post_json(
        f"/api/v1/platform/subscriptions/{sub.pk}/change-plan/", {"plan": "nope"}
    )

    assert duplicate.status_code == 409
    assert wrong_plan.status_code == 400
    assert other_apps_plan.status_code == 400


def test_overrides_through_the_api_take_effect(staff, api_a, django_capture_on_commit_callbacks):
    sub = Subscription.objects.get(tenant__slug="tenant-a", app__key="crm")
    with django_capture_on_commit_callbacks(execute=True):
        response = staff.post_json(
            f"/api/v1/platform/subscriptions/{sub.pk}/overrides/",
            {
                "feature_overrides": {"crm.forecasting": True},
                "limit_overrides": {"crm.max_users": 50},
            },
        )

    assert response.status_code == 200
    assert response.json()["data"]["attributes"]["limit_overrides"] == {"crm.max_users": 50}
    from apps.platform.licensing.entitlements import entitlements_for

    entitlements = entitlements_for("tenant_a")
    assert entitlements.has_feature("crm.forecasting")
    assert entitlements.limit("crm.max_users") == 50


# --- Provisioning ---------------------------------------------------------------------------------


def _request(slug: str, **extra) -> Tenant:
    return services.tenant_request(
        name=f"Org {slug}", slug=slug, admin_email=f"boss@{slug}.example.com",
        admin_password="a-long-password-1", apps=["isp"], dispatch=False, **extra,
    )  # fmt: skip


def test_provisioning_creates_schema_super_admin_trials_and_host(db):
    tenant = services.tenant_provision_run(_request("echo-one").pk)

    assert tenant.status == "active"
    assert tenant.admin_password_hash == ""
    assert schema_exists("echo_one")
    with schema_context("echo_one"):
        boss = User.objects.get(username="boss")
        assert boss.is_superuser
        assert boss.check_password("a-long-password-1")
    assert list(tenant.subscriptions.values_list("app__key", "status")) == [("isp", "trial")]
    assert Domain.objects.filter(tenant=tenant, domain="echo-one.localhost").exists()
    assert HostClient("echo-one.localhost").get("/login/").status_code == 200


def test_running_provisioning_twice_creates_nothing_twice(db):
    tenant = _request("echo-two")
    services.tenant_provision_run(tenant.pk)
    Tenant.objects.filter(pk=tenant.pk).update(status="provisioning")  # as if a retry ran

    services.tenant_provision_run(tenant.pk)

    with schema_context("echo_two"):
        assert User.objects.filter(username="boss").count() == 1
    assert Domain.objects.filter(tenant=tenant).count() == 1
    assert Subscription.objects.filter(tenant=tenant).count() == 1


def test_failed_provisioning_records_the_reason_and_a_retry_finishes_it(
    db, django_capture_on_commit_callbacks
):
    failures = {"left": 1}

    def flaky(**kwargs):
        if failures["left"]:
            failures["left"] -= 1
            raise RuntimeError("mail server unreachable")

    registry.register_tenant_initialiser("test.flaky", flaky, order=50)
    try:
        tenant = _request("echo-three")
        with pytest.raises(RuntimeError):
            services.tenant_provision_run(tenant.pk)
        tenant.refresh_from_db()
        assert tenant.status == "failed"
        assert tenant.status_reason == "initialisers: RuntimeError: mail server unreachable"
        assert tenant.provisioning_step == "schema"
        assert HostClient("echo-three.localhost").get("/login/").status_code == 404

        with django_capture_on_commit_callbacks(execute=True):
            services.tenant_retry(tenant=tenant, dispatch=False)
            services.tenant_provision_run(tenant.pk)
    finally:
        registry.tenant_initialisers[:] = [
            i for i in registry.tenant_initialisers if i.name != "test.flaky"
        ]

    tenant.refresh_from_db()
    assert tenant.status == "active"
    assert tenant.provisioning_attempts == 2
    with schema_context("echo_three"):
        assert User.objects.filter(username="boss").count() == 1
    assert HostClient("echo-three.localhost").get("/login/").status_code == 200


def test_new_schemas_come_from_a_spare_then_the_template_then_migration(db, settings):
    connection.set_schema_to_public()
    schemas.template_refresh()
    assert schemas.template_is_current()
    schemas.spares_replenish(target=1)
    spare = schemas.SpareSchema.objects.get()

    assert schemas.schema_create("echo_spare") == "spare"
    assert not schema_exists(spare.schema_name)
    assert schemas.schema_create("echo_clone") == "clone"
    with connection.cursor() as cursor:
        cursor.execute("COMMENT ON SCHEMA tenant_template IS 'stale'")
    assert schemas.schema_create("echo_migrated") == "migrate"
    for name in ("echo_spare", "echo_clone", "echo_migrated"):
        assert not schemas.schemas_behind([name], settings.TENANT_APPS), name


def test_stale_spares_are_never_handed_out(db):
    connection.set_schema_to_public()
    schemas.template_refresh()
    schemas.spares_replenish(target=1)
    schemas.SpareSchema.objects.update(fingerprint="older-migration-state")

    assert schemas.schema_create("echo_fresh") == "clone"
    assert schemas.spares_drop_stale() == 1
    assert not schemas.SpareSchema.objects.exists()


def test_offboarding_exports_the_data_then_drops_the_schema(db, settings, tmp_path):
    import json
    import zipfile

    settings.MEDIA_ROOT = tmp_path
    from apps.platform.tenants.offboarding import tenant_offboard

    tenant = services.tenant_provision_run(_request("echo-four").pk)

    tenant = tenant_offboard(tenant.pk)

    assert tenant.status == "offboarded"
    assert not schema_exists("echo_four")
    assert not tenant.domains.exists()
    with zipfile.ZipFile(tmp_path / tenant.export_archive) as archive:
        data = json.loads(archive.read("data.json"))
        manifest = json.loads(archive.read("manifest.json"))
    assert manifest["slug"] == "echo-four"
    assert set(tenant.subscriptions.values_list("status", flat=True)) == {"cancelled"}
    assert any(row["model"] == "identity.user" and row["fields"]["username"] == "boss"
               for row in data)  # fmt: skip
    assert HostClient("echo-four.localhost").get("/login/").status_code == 404


def test_offboard_and_download_through_the_api(
    staff, settings, tmp_path, monkeypatch, django_capture_on_commit_callbacks
):
    settings.MEDIA_ROOT = tmp_path
    record_dispatch(monkeypatch, OFFBOARD_TASK, then=offboarding.tenant_offboard)
    tenant = services.tenant_provision_run(_request("echo-five").pk)

    with django_capture_on_commit_callbacks(execute=True):
        accepted = staff.post_json(f"/api/v1/platform/tenants/{tenant.pk}/offboard/")
    download = staff.get(f"/api/v1/platform/tenants/{tenant.pk}/export/")

    assert accepted.status_code == 202
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment")
    assert b"".join(download.streaming_content)[:2] == b"PK"


# --- The whole path, with a real Celery worker ---------------------------------------------------


@pytest.mark.slow
def test_api_request_is_provisioned_by_a_worker_and_the_tenant_answers(celery_worker, staff):
    created = None
    key_row, key = committed(APIKey.objects.create_key, name="e2e")
    caller = HostClient("localhost", HTTP_AUTHORIZATION=f"Api-Key {key}")
    try:
        response = committed(
            caller.post_json, "/api/v1/platform/tenants/", {**NEW_TENANT, "slug": "foxtrot"}
        )
        assert response.status_code == 202
        created = int(response.json()["data"]["id"])
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            status = staff.get(f"/api/v1/platform/tenants/{created}/").json()["data"]
            if status["attributes"]["status"] in ("active", "failed"):
                break
            time.sleep(0.1)
        assert status["attributes"]["status"] == "active", status
        assert HostClient("foxtrot.localhost").get("/login/").status_code == 200
    finally:
        committed(key_row.delete)
        if created:
            committed(_remove_tenant, created)


def _remove_tenant(pk: int) -> None:
    tenant = Tenant.objects.filter(pk=pk).first()
    if tenant:
        schemas.drop_schema(tenant.schema_name)
        tenant.delete()
    for spare in schemas.SpareSchema.objects.all():
        schemas.drop_schema(spare.schema_name)
        spare.delete()


def test_admin_username_is_derived_safely_from_the_email(staff, dispatched):
    response = staff.post_json(
        "/api/v1/platform/tenants/",
        {**NEW_TENANT, "slug": "golf-net", "admin_email": "o'neil@golf.example.com"},
    )

    assert response.status_code == 202
    assert Tenant.objects.get(slug="golf-net").admin_username == "oneil"


def test_password_similar_to_the_admin_email_is_refused(staff):
    response = staff.post_json(
        "/api/v1/platform/tenants/",
        {**NEW_TENANT, "admin_email": "lanternharbour@delta.example.com",
         "admin_password": "lanternharbour"},
    )  # fmt: skip

    assert response.status_code == 400
    assert "too similar" in str(response.json()["error"]["details"])


def test_off_sale_plans_and_offboarded_tenants_take_no_new_subscription(staff, tenant_b):
    from apps.platform.catalog.models import Plan

    Plan.objects.filter(app__key="crm", key="basic").update(is_active=False)
    off_sale = staff.post_json(
        "/api/v1/platform/subscriptions/", {"tenant": "tenant-b", "app": "crm", "plan": "basic"}
    )
    Tenant.objects.filter(pk=tenant_b.pk).update(status="offboarded")
    gone = staff.post_json(
        "/api/v1/platform/subscriptions/", {"tenant": "tenant-b", "app": "crm", "plan": "pro"}
    )

    assert off_sale.status_code == 400
    assert gone.status_code == 409
    assert not Subscription.objects.filter(tenant=tenant_b, app__key="crm").exists()
