"""RADIUS over the API: the NAS registry (an address unique over every organisation, the
secret write-only and encrypted at rest, a NAS with sessions kept), the attribute map's
templates, the services' logins, the sessions, and usage by day (staff and portal). A feature
of Pro and Enterprise (`isp.radius`): Basic answers FEATURE_NOT_IN_PLAN."""

import datetime

import pytest
from django.db import connection
from django.utils import timezone
from django_tenants.utils import schema_context

from apps.isp.models import Nas, NasAttribute, RadiusLogin
from apps.platform.tenants.models import NasRoute
from tests.isp.api_factories import CustomerFactory, active_service
from tests.isp.factories import ServiceFactory
from tests.isp.radius_factories import (
    SECRET,
    NasAttributeFactory,
    NasFactory,
    RadiusLoginFactory,
    RadiusSessionFactory,
    UsageDayFactory,
)
from tests.isp.test_api_dunning import move_isp_to
from tests.isp.test_api_portal import PORTAL, customer_user
from tests.resource_base import ResourceTests, owner_api

pytestmark = pytest.mark.django_db
NAS = "/api/v1/isp/nas/"
ATTRIBUTES = "/api/v1/isp/nas-attributes/"
LOGINS = "/api/v1/isp/radius-logins/"
SESSIONS = "/api/v1/isp/radius-sessions/"
TAKEN = "This address is already a NAS of another organisation."


@pytest.fixture
def on_pro(db, django_capture_on_commit_callbacks):
    for slug in ("tenant-a", "tenant-b"):
        move_isp_to(slug, "pro", django_capture_on_commit_callbacks)


class OnPro:
    @pytest.fixture(autouse=True)
    def _on_pro(self, on_pro):
        pass


class TestNasResource(OnPro, ResourceTests):
    path = NAS
    resource_type = "nas"
    factory = NasFactory
    create_data = {"name": "bng-leeds", "address": "203.0.113.7", "secret": SECRET,
                   "type": "mikrotik", "coa_port": 3799}  # fmt: skip
    created_shown = {"secret": None}
    update_data = {"name": "bng-leeds-2", "coa_port": 1700, "description": "Rack 4"}
    invalid_data = {"name": "short", "address": "203.0.113.8", "secret": "too-short"}

    @staticmethod
    def assert_shown(attributes, sent, *, scalars_only=False):
        sent = {name: value for name, value in sent.items() if name != "secret"}
        assert "secret" not in attributes
        ResourceTests.assert_shown(attributes, sent, scalars_only=scalars_only)


class TestNasAttributeResource(OnPro, ResourceTests):
    path = ATTRIBUTES
    resource_type = "nas_attribute"
    factory = NasAttributeFactory
    create_data = {"nas_type": "mikrotik", "attribute": "Mikrotik-Rate-Limit",
                   "value": "{up_kbps}k/{down_kbps}k"}  # fmt: skip
    update_data = {"value": "{up_bps}/{down_bps}"}
    invalid_data = {"nas_type": "mikrotik", "attribute": "Bad", "value": "{secret}"}


class TestRadiusLoginResource(OnPro, ResourceTests):
    path = LOGINS
    resource_type = "radius_login"
    factory = RadiusLoginFactory
    update_data = {"password": "a-new-password-9"}
    invalid_data = {"kind": "pppoe", "username": "Not Valid!"}

    def create_data(self):
        return {"service": ServiceFactory().pk, "kind": "pppoe", "username": "ann.lee",
                "password": "ann-password-12"}  # fmt: skip


class TestRadiusSessionResource(OnPro, ResourceTests):
    path = SESSIONS
    resource_type = "radius_session"
    factory = RadiusSessionFactory
    operations = {"list", "retrieve"}


# --- the NAS registry ----------------------------------------------------------------------------


def test_a_nas_address_is_unique_over_every_organisation(on_pro, api_a, tenant_a, tenant_b):
    body = {"name": "bng-1", "address": "203.0.113.50", "secret": SECRET}
    first = api_a.post_json(NAS, body)
    again_here = api_a.post_json(NAS, {**body, "name": "bng-2"})
    elsewhere = owner_api("tenant-b").post_json(NAS, body)

    assert first.status_code == 201, first.content
    for response in (again_here, elsewhere):
        assert response.status_code == 400, response.content
        detail = response.json()["error"]["details"][0]
        assert (detail["field"], detail["message"]) == ("address", TAKEN)
        assert "tenant-a" not in response.content.decode()
    with schema_context(tenant_b.schema_name):
        assert not Nas.objects.exists()
    with schema_context(tenant_a.schema_name):
        assert list(Nas.objects.values_list("name", flat=True)) == ["bng-1"]
    route = NasRoute.objects.get(address="203.0.113.50")
    assert (route.tenant_id, route.nas_id) == (tenant_a.pk, int(first.json()["data"]["id"]))


def test_moving_and_deleting_a_nas_moves_and_drops_its_route(on_pro, api_a, tenant_a):
    created = api_a.post_json(NAS, {"name": "bng-1", "address": "203.0.113.60", "secret": SECRET})
    url = f"{NAS}{created.json()['data']['id']}/"

    moved = api_a.patch(url, {"address": "203.0.113.61"}, "application/json")

    assert moved.status_code == 200, moved.content
    assert list(NasRoute.objects.filter(tenant=tenant_a).values_list("address", flat=True)) == [
        "203.0.113.61"
    ]
    assert api_a.delete(url).status_code == 204
    assert not NasRoute.objects.filter(tenant=tenant_a).exists()


def test_the_secret_is_write_only_and_encrypted_at_rest(on_pro, api_a, tenant_a):
    created = api_a.post_json(NAS, {"name": "bng-1", "address": "203.0.113.70", "secret": SECRET})
    pk = created.json()["data"]["id"]

    shown = api_a.get(f"{NAS}{pk}/").json()["data"]["attributes"]

    assert "secret" not in shown
    assert SECRET not in created.content.decode()
    with schema_context(tenant_a.schema_name), connection.cursor() as cursor:
        cursor.execute("SELECT secret FROM isp_nas WHERE id = %s", [pk])
        (raw,) = cursor.fetchone()
        assert raw
        assert SECRET not in raw
        assert Nas.objects.get(pk=pk).secret == SECRET


@pytest.mark.parametrize(
    "secret", ["x" * 15, "x" * 129, "sixteen chars ok", "ünïcödé-secret-1234", 1234567890123456]
)
def test_a_bad_secret_is_refused_on_the_secret(on_pro, api_a, secret):
    response = api_a.post_json(NAS, {"name": "bng-1", "address": "203.0.113.80",
                                     "secret": secret})  # fmt: skip

    assert response.status_code == 400, response.content
    assert response.json()["error"]["details"][0]["field"] == "secret"
    assert not NasRoute.objects.filter(address="203.0.113.80").exists()


def test_a_nas_that_reported_sessions_is_not_deleted(on_pro, api_a, tenant_a):
    with schema_context(tenant_a.schema_name):
        session = RadiusSessionFactory()

    response = api_a.delete(f"{NAS}{session.nas_id}/")

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "CONFLICT"
    with schema_context(tenant_a.schema_name):
        assert Nas.objects.filter(pk=session.nas_id).exists()


# --- the attribute map ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("attribute", "value", "field"),
    [
        ("Mikrotik-Rate-Limit", "{down_mbps}M", "value"),
        ("Mikrotik-Rate-Limit", "{down_kbps", "value"),
        ("Mikrotik-Rate-Limit", "{0}", "value"),
        ("Mikrotik-Rate-Limit", "{down_kbps.real}", "value"),
        ("Mikrotik-Rate-Limit", "{down_kbps!r}", "value"),
        ("Mikrotik-Rate-Limit", "x" * 201, "value"),
        ("1-Starts-With-A-Digit", "{down_kbps}", "attribute"),
        ("Has Spaces", "{down_kbps}", "attribute"),
    ],
)
def test_a_bad_attribute_or_template_is_refused(on_pro, api_a, tenant_a, attribute, value, field):
    response = api_a.post_json(
        ATTRIBUTES, {"nas_type": "mikrotik", "attribute": attribute, "value": value}
    )

    assert response.status_code == 400, response.content
    assert response.json()["error"]["details"][0]["field"] == field
    with schema_context(tenant_a.schema_name):
        assert not NasAttribute.objects.exists()


def test_an_attribute_once_per_type_and_braces_escaped(on_pro, api_a):
    body = {"nas_type": "cisco", "attribute": "Cisco-AVPair", "value": "rate={{{down_kbps}}}"}

    assert api_a.post_json(ATTRIBUTES, body).status_code == 201
    assert api_a.post_json(ATTRIBUTES, body).status_code == 400


# --- logins --------------------------------------------------------------------------------------


def test_a_pppoe_login_gets_a_generated_password_and_its_wire_name(on_pro, api_a, tenant_a):
    with schema_context(tenant_a.schema_name):
        service = ServiceFactory()

    response = api_a.post_json(LOGINS, {"service": service.pk, "username": "Ann.Lee"})

    assert response.status_code == 201, response.content
    shown = response.json()["data"]["attributes"]
    assert shown["username"] == "ann.lee"
    assert shown["wire_username"] == "ann.lee@tenant-a"
    assert len(shown["password"]) == 16
    with schema_context(tenant_a.schema_name):
        assert RadiusLogin.objects.get(service=service).password == shown["password"]


def test_login_rules(on_pro, api_a, tenant_a):
    with schema_context(tenant_a.schema_name):
        taken = RadiusLoginFactory(username="bob")
        service, other = ServiceFactory(), ServiceFactory()

    cases = {
        "username": {"service": service.pk, "kind": "pppoe"},
        "mac": {"service": service.pk, "kind": "ipoe"},
        "service": {"service": taken.service_id, "username": "carol"},
    }
    for field, body in cases.items():
        response = api_a.post_json(LOGINS, body)
        assert response.status_code == 400, (field, response.content)
        assert response.json()["error"]["details"][0]["field"] == field
    duplicate = api_a.post_json(LOGINS, {"service": other.pk, "username": "bob"})
    ipoe = api_a.post_json(LOGINS, {"service": other.pk, "kind": "ipoe",
                                    "mac": "00-1A-2B-3C-4D-5E"})  # fmt: skip

    assert duplicate.status_code == 400
    assert ipoe.status_code == 201, ipoe.content
    assert ipoe.json()["data"]["attributes"]["mac"] == "00:1a:2b:3c:4d:5e"
    assert ipoe.json()["data"]["attributes"]["username"] is None


def test_a_login_by_service_filter(on_pro, api_a, tenant_a):
    with schema_context(tenant_a.schema_name):
        mine, _other = RadiusLoginFactory(), RadiusLoginFactory()

    response = api_a.get(f"{LOGINS}?service={mine.service_id}")

    assert [row["id"] for row in response.json()["data"]] == [str(mine.pk)]


def test_a_user_who_may_not_change_logins_never_sees_a_password(on_pro, tenant_a):
    from apps.identity import services as identity
    from apps.identity.models import Role
    from tests.conftest import TENANTS, HostClient, host_of, obtain_tokens

    with schema_context(tenant_a.schema_name):
        login = RadiusLoginFactory()
        role = Role.objects.get(name="IT Manager")
        user = identity.user_create(username="viewer", password="viewer-password-1")
        identity.role_grant(user=user, role=role)
        may_change = user.has_perm("isp.change_radiuslogin")
    client = HostClient(host_of(TENANTS["a"]))
    client.authenticate(obtain_tokens(client, "viewer", "viewer-password-1")["access"])

    response = client.get(f"{LOGINS}{login.pk}/")

    assert response.status_code == 200, response.content
    assert ("password" in response.json()["data"]["attributes"]) == may_change


# --- sessions ------------------------------------------------------------------------------------


def test_sessions_filter_by_status_and_nas(on_pro, api_a, tenant_a):
    with schema_context(tenant_a.schema_name):
        open_one = RadiusSessionFactory(status="open", stopped_at=None)
        RadiusSessionFactory(nas=open_one.nas)

    by_status = api_a.get(f"{SESSIONS}?status=open")
    by_nas = api_a.get(f"{SESSIONS}?nas={open_one.nas_id}&ordering=-started_at")
    bad = api_a.get(f"{SESSIONS}?status=sideways")

    assert [row["id"] for row in by_status.json()["data"]] == [str(open_one.pk)]
    assert len(by_nas.json()["data"]) == 2
    assert bad.status_code == 400


# --- usage ---------------------------------------------------------------------------------------


def test_usage_by_day_with_totals_and_the_month(on_pro, api_a, tenant_a):
    today = timezone.localdate()
    with schema_context(tenant_a.schema_name):
        service = ServiceFactory()
        UsageDayFactory(service=service, day=today)
        UsageDayFactory(service=service, day=today - datetime.timedelta(days=3))
        UsageDayFactory(service=service, day=today - datetime.timedelta(days=40))

    response = api_a.get(f"/api/v1/isp/services/{service.pk}/usage/")

    assert response.status_code == 200, response.content
    usage = response.json()["data"]["attributes"]
    assert len(usage["days"]) == 30
    assert usage["days"][-1] == {"day": today.isoformat(), "download_octets": 4_000_000_000,
                                 "upload_octets": 1_000_000_000,
                                 "total_octets": 5_000_000_000}  # fmt: skip
    assert usage["totals"]["total_octets"] == 10_000_000_000
    assert usage["month"]["cap_gb"] is None


@pytest.mark.parametrize(
    "query",
    ["start=yesterday", "end=2026-02-30", "start=2026-03-02&end=2026-03-01",
     "start=2024-01-01&end=2025-01-02", "start=0001-01-01"],
)  # fmt: skip
def test_usage_range_bounds(on_pro, api_a, tenant_a, query):
    with schema_context(tenant_a.schema_name):
        service = ServiceFactory()

    response = api_a.get(f"/api/v1/isp/services/{service.pk}/usage/?{query}")

    assert response.status_code == 400, response.content
    assert response.json()["error"]["code"] == "VALIDATION_ERROR"


def test_a_year_of_usage_is_allowed(on_pro, api_a, tenant_a):
    with schema_context(tenant_a.schema_name):
        service = ServiceFactory()

    url = f"/api/v1/isp/services/{service.pk}/usage/"
    response = api_a.get(f"{url}?start=2024-01-01&end=2024-12-31")

    assert response.status_code == 200
    assert len(response.json()["data"]["attributes"]["days"]) == 366


def test_the_portal_shows_her_own_usage_only(on_pro, tenant_a):
    with schema_context(tenant_a.schema_name):
        jane_account = CustomerFactory(name="Jane Doe")
        mine = active_service(customer=jane_account)
        theirs = active_service(customer=CustomerFactory(name="Bob Roe"))
        UsageDayFactory(service=mine)
        jane = customer_user("tenant-a", "jane", linked_to=jane_account)

    own = jane.get(f"{PORTAL}/services/{mine.pk}/usage/")
    other = jane.get(f"{PORTAL}/services/{theirs.pk}/usage/")

    assert own.status_code == 200, own.content
    assert own.json()["data"]["attributes"]["totals"]["total_octets"] == 5_000_000_000
    assert other.status_code == 404
    assert other.json()["error"]["code"] == "NOT_FOUND"


# --- the plan ------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", [NAS, ATTRIBUTES, LOGINS, SESSIONS])
def test_the_basic_plan_refuses_radius(api_a, path):
    response = api_a.get(path)

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "FEATURE_NOT_IN_PLAN"
    assert "isp.radius" in response.json()["error"]["message"]


def test_the_basic_plan_refuses_usage(api_a, tenant_a):
    with schema_context(tenant_a.schema_name):
        service = ServiceFactory()

    response = api_a.get(f"/api/v1/isp/services/{service.pk}/usage/")

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "FEATURE_NOT_IN_PLAN"


def test_the_database_decides_two_registrations_of_one_address_at_once(
    on_pro, api_a, tenant_a, tenant_b, monkeypatch
):
    """As if tenant B's create ran its checks before tenant A's committed: only the unique
    constraint of NasRoute is left to refuse it, and it does (400, nothing written)."""
    body = {"name": "bng-1", "address": "203.0.113.90", "secret": SECRET}
    assert api_a.post_json(NAS, body).status_code == 201
    monkeypatch.setattr("apps.isp.services.nas._address_taken", lambda address, nas: False)
    monkeypatch.setattr(NasRoute, "validate_unique", lambda self, exclude=None: None)

    response = owner_api("tenant-b").post_json(NAS, body)

    assert response.status_code == 400, response.content
    assert response.json()["error"]["details"][0] == {"field": "address", "message": TAKEN}
    with schema_context(tenant_b.schema_name):
        assert not Nas.objects.exists()
    assert NasRoute.objects.get(address="203.0.113.90").tenant_id == tenant_a.pk
