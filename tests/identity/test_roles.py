"""Roles across apps, single sign-on and the launcher (DESIGN.md §5, §10)."""

import pytest
from django.core.management import call_command
from django_tenants.utils import schema_context

from apps.core.kit.declaration import area
from apps.identity import services
from apps.identity.access import launcher_entry
from apps.identity.models import Role, User
from tests.committed import committed
from tests.conftest import HostClient, obtain_tokens
from tests.servers import Browser, Gunicorn

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.urls_tenant")]

PASSWORD = "member-password-1"


def member(tenant, username: str, *roles: str, first_name: str = "") -> User:
    with schema_context(tenant.schema_name):
        user = services.user_create(username=username, password=PASSWORD, first_name=first_name)
        for name in roles:
            services.role_grant(user=user, role=Role.objects.get(name=name), granted_by="test")
    return user


def api_as(host: str, username: str, password: str = PASSWORD) -> HostClient:
    client = HostClient(host)
    return client.authenticate(obtain_tokens(client, username, password)["access"])


def test_default_roles_are_seeded_at_provisioning(tenant_a):
    with schema_context(tenant_a.schema_name):
        roles = dict(Role.objects.values_list("name", "areas"))

    assert roles == {
        "IT Manager": ["isp", "crm"],
        "Sales Rep": ["crm", "commerce"],
        "Customer": ["isp.portal", "commerce.shop"],
        "Field Tech": ["isp.tech"],
        "ISP Admin": ["isp", "isp.portal", "isp.tech"],
        "CRM Admin": ["crm"],
        "E-commerce Admin": ["commerce", "commerce.shop"],
        "Projects Admin": ["projects"],
    }


@pytest.mark.smoke
def test_the_seeds_example_tenant_opens_each_users_apps(db, settings):
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    password = settings.DEMO_PASSWORD
    expected = {
        # the super admin opens every area, the vendor portal too (it says they are no vendor)
        "john": [
            "isp",
            "isp.portal",
            "isp.tech",
            "crm",
            "commerce",
            "commerce.shop",
            "commerce.vendor",
        ],
        "sarah": ["isp", "crm"],
        "mike": ["crm", "commerce"],
        "jane": ["isp.portal", "commerce.shop"],
        "tom": ["isp.tech"],
    }

    for username, apps in expected.items():
        me = api_as("abc-corp.localhost", username, password).get("/api/v1/me/").json()
        assert me["data"]["attributes"]["apps"] == apps, username
        launcher = HostClient("abc-corp.localhost")
        launcher.post("/login/", {"username": username, "password": password})
        page = launcher.get("/").content.decode()
        for key in apps:
            assert f'href="{launcher_entry(area(key)).url}"' in page, (username, key)
    john = api_as("abc-corp.localhost", "john", password).get("/api/v1/me/").json()
    assert john["data"]["attributes"]["first_name"] == "John"  # named, for "ask John Smith"
    xyz = api_as("xyz-isp.localhost", "admin", password).get("/api/v1/me/").json()
    assert xyz["data"]["attributes"]["apps"] == ["isp", "isp.portal", "isp.tech", "projects"]
    # The RADIUS part of the contract: both on ISP Pro (isp.radius), Jane's login, the NAS.
    from django_tenants.utils import schema_context

    from apps.isp.models import Nas, RadiusLogin
    from apps.platform.licensing.entitlements import entitlements_for

    assert entitlements_for("abc_corp").has_feature("isp.radius")
    assert entitlements_for("xyz_isp").has_feature("isp.radius")
    with schema_context("abc_corp"):
        assert RadiusLogin.objects.get(username="jane").password == password
        assert Nas.objects.get(address="127.0.0.1").secret == password


def test_it_manager_opens_crm_and_field_tech_does_not(tenant_a):
    member(tenant_a, "sarah", "IT Manager")
    member(tenant_a, "tom", "Field Tech")

    sarah = api_as("tenant-a.localhost", "sarah").get("/api/v1/crm/reports/forecast/")
    tom = api_as("tenant-a.localhost", "tom").get("/api/v1/crm/reports/forecast/")

    assert sarah.status_code == 403
    assert sarah.json()["error"]["code"] == "FEATURE_NOT_IN_PLAN"  # past the role check
    assert tom.status_code == 403
    assert tom.json()["error"]["code"] == "PERMISSION_DENIED"
    assert "CRM" in tom.json()["error"]["message"]


def test_role_check_on_pages_names_whom_to_ask(tenant_a):
    member(tenant_a, "tom", "Field Tech")
    with schema_context(tenant_a.schema_name):
        User.objects.filter(username="owner").update(first_name="Olive", last_name="Owner")
    client = HostClient("tenant-a.localhost")
    client.post("/login/", {"username": "tom", "password": PASSWORD})

    refused = client.get("/crm/pipeline/")
    anonymous = HostClient("tenant-a.localhost").get("/crm/pipeline/")

    assert refused.status_code == 403
    assert "You don't have access to CRM" in refused.content.decode()
    assert "Olive Owner" in refused.content.decode()
    assert anonymous.status_code == 302
    assert anonymous["Location"] == "/login/?next=/crm/pipeline/"


def test_unlicensed_app_stays_closed_whatever_the_role(tenant_b):
    member(tenant_b, "seller", "Sales Rep", "CRM Admin")

    me = api_as("tenant-b.localhost", "seller").get("/api/v1/me/").json()["data"]["attributes"]

    assert me["apps"] == []  # tenant B subscribes to neither CRM nor E-commerce
    assert me["roles"] == ["CRM Admin", "Sales Rep"]


def test_launcher_greys_out_subscribed_apps_the_user_cannot_open(tenant_a):
    member(tenant_a, "tom", "Field Tech", first_name="Tom")
    client = HostClient("tenant-a.localhost")
    client.post("/login/", {"username": "tom", "password": PASSWORD})

    page = client.get("/").content.decode()

    assert 'href="/tech/"' in page
    assert 'href="/crm/"' not in page
    # isp, portal, crm, commerce, shop, vendor portal
    assert page.count('class="card app locked"') == 6
    assert "Ask owner for access" in page


def test_me_lists_roles_apps_and_role_permissions(tenant_a):
    with schema_context(tenant_a.schema_name):
        from django.contrib.auth.models import Permission

        role = Role.objects.create(name="Auditor", areas=["crm"])
        role.permissions.add(Permission.objects.get(codename="view_user"))
    member(tenant_a, "audrey", "Auditor")

    me = api_as("tenant-a.localhost", "audrey").get("/api/v1/me/").json()["data"]["attributes"]

    assert me["roles"] == ["Auditor"]
    assert me["apps"] == ["crm"]
    assert me["permissions"] == ["identity.view_user"]


def test_sign_in_once_serves_every_app_and_sign_out_ends_it(tenant_a):
    member(tenant_a, "sarah", "IT Manager")
    client = HostClient("tenant-a.localhost")
    client.get("/login/")
    before = client.cookies.get("sessionid")

    login = client.post("/login/", {"username": "sarah", "password": PASSWORD})
    session = client.cookies["sessionid"]
    launcher = client.get("/")
    logout = client.post("/logout/")
    after = client.get("/")

    assert login.status_code == 302
    assert login["Location"] == "/"
    assert before is None or before.value != session.value  # a new session key at login
    assert session["domain"] == ""  # host-only cookie
    assert launcher.status_code == 200
    assert logout.status_code == 302
    assert after.status_code == 302
    assert after["Location"].startswith("/login/")


def test_wrong_password_on_the_login_page_says_so(tenant_a):
    response = HostClient("tenant-a.localhost").post(
        "/login/", {"username": "owner", "password": "nope"}
    )

    assert response.status_code == 200
    assert "didn't match" in response.content.decode()


@pytest.mark.slow
def test_granting_a_role_takes_effect_on_the_next_request_in_every_worker(tenant_a):
    user = committed(member, tenant_a, "sarah-live", "Field Tech")
    # Committed too: the test's own transaction must hold no row pointing at this user.
    token = committed(obtain_tokens, HostClient("tenant-a.localhost"), "sarah-live", PASSWORD)[
        "access"
    ]

    def statuses(web):
        headers = {"Authorization": f"Bearer {token}"}
        return {
            web.get("/api/v1/isp/customers/", host="tenant-a.localhost", headers=headers)[0]
            for _ in range(12)
        }

    def grant():
        with schema_context(tenant_a.schema_name):
            services.role_grant(user=user, role=Role.objects.get(name="IT Manager"))

    def remove():
        with schema_context(tenant_a.schema_name):
            User.objects.filter(pk=user.pk).delete()

    try:
        with Gunicorn(workers=3) as web:
            browser = Browser(web.url, "tenant-a.localhost")
            browser.sign_in("sarah-live", PASSWORD)
            pages_before = {browser.request("/isp/")[0] for _ in range(12)}
            before = statuses(web)
            committed(grant)
            after = statuses(web)
            pages_after = {browser.request("/isp/")[0] for _ in range(12)}
    finally:
        committed(remove)

    assert before == {403}  # Field Tech opens only the technician app, not the ISP staff API
    assert after == {200}  # IT Manager opens ISP
    assert pages_before == {403}  # the "no access" page
    assert pages_after == {200}  # past the access check: the ISP dashboard


def test_me_costs_one_query_once_warm(tenant_a, django_assert_num_queries):
    member(tenant_a, "sarah", "IT Manager")
    sarah = api_as("tenant-a.localhost", "sarah")
    owner = api_as("tenant-a.localhost", "owner", "correct-horse-battery")
    sarah.get("/api/v1/me/")  # warms routing, entitlements and the role profile
    owner.get("/api/v1/me/")

    with django_assert_num_queries(1):  # the user the token names
        assert owner.get("/api/v1/me/").status_code == 200
    # A member's own permissions come from Django (user and group tables) on top of the roles.
    with django_assert_num_queries(3):
        response = sarah.get("/api/v1/me/")

    assert response.json()["data"]["attributes"]["roles"] == ["IT Manager"]
