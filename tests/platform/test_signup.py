"""Self-service signup on the public host: the form, the live slug check, and the private
"your workspace is being prepared" page (DESIGN.md §3, §6)."""

from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection
from django_tenants.utils import schema_exists

from apps.platform.catalog.models import App
from apps.platform.tenants import services, views
from apps.platform.tenants.constants import PROVISION_TASK
from apps.platform.tenants.models import Tenant
from tests.conftest import HostClient
from tests.dispatching import record_dispatch

pytestmark = pytest.mark.django_db

PASSWORD = "Lantern-Harbour-47"


def signup_data(**overrides) -> dict:
    data = {
        "name": "Acme Networks",
        "slug": "acme-networks",
        "admin_email": "jo@acme.example.com",
        "admin_password": PASSWORD,
        "admin_password_confirm": PASSWORD,
        "apps": ["crm", "projects"],
        "accept_terms": "on",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


@pytest.fixture
def dispatched(monkeypatch) -> list:
    """The tenant ids handed to the provisioning task (no worker runs in these tests)."""
    return record_dispatch(monkeypatch, PROVISION_TASK)


def sign_up(client: HostClient, **overrides):
    """Submit the form; returns the response and the status token from its redirect."""
    response = client.post("/signup/", signup_data(**overrides))
    assert response.status_code == 303, response.content[:2000]
    token = parse_qs(urlsplit(response["Location"]).query)["t"][0]
    return response, token


# --- the form ---------------------------------------------------------------------------------


def test_form_offers_every_app_on_sale_with_its_trial(public_client):
    response = public_client.get("/signup/")

    assert response.status_code == 200
    html = response.content.decode()
    apps = list(App.objects.filter(is_active=True))
    assert len(apps) == 4
    assert html.count('name="apps"') == 4
    for app in apps:
        assert f'value="{app.key}"' in html
        assert app.name in html
        assert app.tagline in html
    # Each tile draws the icon the app's code declares (an SVG), not the catalog's emoji.
    for icon in ("globe", "briefcase", "package", "kanban"):
        assert f'class="icon icon-{icon}"' in html
    assert "14-day free trial" in html
    assert 'name="csrfmiddlewaretoken"' in html
    assert "Start a free trial" in public_client.get("/").content.decode()


def test_form_is_csrf_protected():
    client = HostClient("localhost", enforce_csrf_checks=True)

    response = client.post("/signup/", signup_data())

    assert response.status_code == 403
    assert not Tenant.objects.filter(slug="acme-networks").exists()


def test_valid_signup_requests_a_pending_tenant_and_dispatches_its_provisioning(
    public_client, dispatched, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response, token = sign_up(public_client, slug="Acme-Networks")

    tenant = Tenant.objects.get(slug="acme-networks")
    assert tenant.status == Tenant.Status.PENDING
    assert tenant.source == Tenant.Source.SIGNUP
    assert tenant.requested_apps == ["crm", "projects"]
    assert tenant.admin_email == "jo@acme.example.com"
    assert tenant.admin_password_hash
    assert PASSWORD not in tenant.admin_password_hash
    assert dispatched == [tenant.pk]
    assert response["Location"] == f"/signup/acme-networks/preparing/?t={token}"
    assert token.count(".") == 1  # timestamp and signature: the pk and slug are not in it


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"slug": "tenant-a"}, "slug", "This address is taken."),
        ({"slug": "admin"}, "slug", "This name is reserved."),
        ({"slug": "9-lives_"}, "slug", "Use 3 to 63 lowercase letters"),
        ({"slug": "ab"}, "slug", "Use 3 to 63 lowercase letters"),
        (
            {"admin_password": "password", "admin_password_confirm": "password"},
            "admin_password",
            "This password is too common.",
        ),
        (
            {"admin_password": "jo.acme.example", "admin_password_confirm": "jo.acme.example"},
            "admin_password",
            "The password is too similar to the",
        ),
        (
            {"admin_password_confirm": "Lantern-Harbour-48"},
            "admin_password_confirm",
            "do not match",
        ),
        ({"apps": None}, "apps", "Choose at least one app to trial."),
        ({"apps": ["nope"]}, "apps", "Select a valid choice."),
        ({"accept_terms": None}, "accept_terms", "Please accept the terms"),
        ({"admin_email": "not-an-email"}, "admin_email", "Enter a valid email address."),
    ],
    ids=[
        "taken",
        "reserved",
        "bad-format",
        "too-short",
        "common-password",
        "password-like-email",
        "passwords-differ",
        "no-apps",
        "unknown-app",
        "terms",
        "email",
    ],
)
def test_invalid_signup_shows_the_error_on_its_field_and_creates_nothing(
    public_client, dispatched, django_capture_on_commit_callbacks, overrides, field, message
):
    tenants_before = Tenant.objects.count()

    with django_capture_on_commit_callbacks(execute=True):
        response = public_client.post("/signup/", signup_data(**overrides))

    assert response.status_code == 200
    errors = response.context["form"].errors
    assert list(errors) == [field], errors
    assert any(message in error for error in errors[field])
    assert 'class="errorlist' in response.content.decode()
    assert Tenant.objects.count() == tenants_before
    assert dispatched == []


def test_invalid_signup_keeps_what_was_typed_but_not_the_password(public_client):
    response = public_client.post("/signup/", signup_data(slug="admin"))

    html = response.content.decode()
    assert 'value="Acme Networks"' in html
    assert 'value="jo@acme.example.com"' in html
    assert 'value="crm" checked' in html
    assert 'value="projects" checked' in html
    assert PASSWORD not in html


def test_slug_taken_between_the_check_and_the_insert_is_shown_as_taken(
    public_client, monkeypatch, dispatched
):
    monkeypatch.setattr("apps.platform.tenants.forms.slug_is_available", lambda slug: True)

    response = public_client.post("/signup/", signup_data(slug="tenant-a"))

    assert response.status_code == 200
    assert "This address is taken." in response.context["form"].errors["slug"][0]


# --- live slug check --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("slug", "available", "reason"),
    [
        ("fresh-idea", True, None),
        ("Fresh-Idea", True, None),
        ("tenant-a", False, "taken"),
        ("admin", False, "reserved"),
        ("bad_slug!", False, "invalid"),
        ("", False, "invalid"),
    ],
)
def test_check_slug_answers_whether_an_address_is_free(public_client, slug, available, reason):
    body = public_client.get("/signup/check-slug/", {"slug": slug}).json()

    assert body["slug"] == slug.lower()
    assert body["available"] is available
    assert body["reason"] == reason
    assert body["message"]


def test_check_slug_costs_one_query(public_client, django_assert_num_queries):
    public_client.get("/signup/check-slug/", {"slug": "warm-up"})  # host routing cached

    with django_assert_num_queries(1):
        public_client.get("/signup/check-slug/", {"slug": "fresh-idea"})
    with django_assert_num_queries(0):
        public_client.get("/signup/check-slug/", {"slug": "admin"})


# --- following the preparation ----------------------------------------------------------------


def test_status_with_the_token_follows_the_tenant_until_it_is_ready(public_client, dispatched):
    _, token = sign_up(public_client)
    fresh = HostClient("localhost")  # another browser: only the token lets it in

    pending = fresh.get("/signup/acme-networks/status/", {"t": token}).json()
    assert pending["status"] == "pending"
    assert "url" not in pending

    Tenant.objects.filter(slug="acme-networks").update(
        status="provisioning", provisioning_step="schema"
    )
    provisioning = fresh.get("/signup/acme-networks/status/", {"t": token}).json()
    assert provisioning["status"] == "provisioning"
    assert provisioning["steps_done"] == 2

    Tenant.objects.filter(slug="acme-networks").update(status="active")
    active = fresh.get("/signup/acme-networks/status/", {"t": token}).json()
    assert active["status"] == "active"
    assert active["steps_done"] == active["steps_total"]
    assert active["url"] == "http://acme-networks.localhost/"
    assert active["admin_url"] == "http://acme-networks.localhost/admin/login/"
    assert active["admin_username"] == "jo"


def test_workspace_link_keeps_the_port_the_visitor_used(dispatched):
    client = HostClient("localhost:8000")
    _, token = sign_up(client)
    Tenant.objects.filter(slug="acme-networks").update(status="active")

    body = client.get("/signup/acme-networks/status/", {"t": token}).json()

    assert body["url"] == "http://acme-networks.localhost:8000/"


def test_preparing_page_shows_progress_and_then_the_link_to_the_workspace(
    public_client, dispatched
):
    response, _ = sign_up(public_client)

    page = public_client.get(response["Location"])
    html = page.content.decode()
    assert page.status_code == 200
    assert "We are preparing your workspace" in html
    assert "acme-networks.localhost" in html
    assert '<meta http-equiv="refresh" content="3">' in html  # works without JavaScript
    assert "/signup/acme-networks/status/?t=" in html  # what the script polls
    assert page["Cache-Control"].startswith("max-age=0")

    Tenant.objects.filter(slug="acme-networks").update(status="active")
    html = public_client.get(response["Location"]).content.decode()
    assert "Open your workspace" in html
    assert 'href="http://acme-networks.localhost/"' in html
    assert 'href="http://acme-networks.localhost/admin/login/"' in html
    assert 'http-equiv="refresh"' not in html


def test_failed_preparation_is_explained_without_internal_details(public_client, dispatched):
    response, token = sign_up(public_client)
    Tenant.objects.filter(slug="acme-networks").update(
        status="failed", status_reason="schema: ProgrammingError: relation tenant_x missing"
    )

    body = public_client.get("/signup/acme-networks/status/", {"t": token})
    page = public_client.get(response["Location"])

    assert body.json()["status"] == "failed"
    assert "our team has been notified" in body.json()["message"]
    assert "our team has been notified" in page.content.decode()
    for leaked in (b"ProgrammingError", b"tenant_x", b"schema:"):
        assert leaked not in body.content
        assert leaked not in page.content


def test_reload_without_the_token_works_in_the_same_session(public_client, dispatched):
    sign_up(public_client)

    assert public_client.get("/signup/acme-networks/preparing/").status_code == 200
    assert public_client.get("/signup/acme-networks/status/").status_code == 200
    assert HostClient("localhost").get("/signup/acme-networks/preparing/").status_code == 404


@pytest.mark.parametrize("token", ["", "nonsense", "1xWOVI.forged-signature"])
def test_status_and_page_with_a_wrong_token_are_404(public_client, dispatched, token):
    _, good = sign_up(public_client)
    stranger = HostClient("localhost")

    assert stranger.get("/signup/acme-networks/status/", {"t": token}).status_code == 404
    assert stranger.get("/signup/acme-networks/preparing/", {"t": token}).status_code == 404
    # A wrong token is refused even where the session holds the right one.
    if token:
        assert public_client.get("/signup/acme-networks/status/", {"t": token}).status_code == 404


def test_expired_token_is_404(public_client, dispatched, monkeypatch):
    _, token = sign_up(public_client)
    monkeypatch.setattr(views, "STATUS_MAX_AGE", -1)

    assert public_client.get("/signup/acme-networks/status/", {"t": token}).status_code == 404


def test_a_token_opens_only_its_own_tenant(public_client, dispatched, tenant_a):
    _, token = sign_up(public_client)

    for path in ("/signup/tenant-a/preparing/", "/signup/tenant-a/status/"):
        assert public_client.get(path, {"t": token}).status_code == 404
        assert public_client.get(path).status_code == 404  # nor does the session's token
    assert public_client.get("/signup/no-such-one/status/", {"t": token}).status_code == 404


def test_a_token_does_not_survive_the_slug_being_reused(public_client, dispatched):
    """The token signs the pk too: a new tenant under a freed slug is someone else's."""
    _, token = sign_up(public_client)
    Tenant.objects.filter(slug="acme-networks").delete()
    services.tenant_request(
        name="Other", slug="acme-networks", admin_email="x@other.example.com",
        admin_password=PASSWORD, apps=["crm"], dispatch=False,
    )  # fmt: skip

    assert public_client.get("/signup/acme-networks/status/", {"t": token}).status_code == 404


@pytest.mark.parametrize(
    "path", ["/signup/", "/signup/check-slug/?slug=x", "/signup/tenant-a/preparing/"]
)
def test_signup_is_not_served_on_tenant_hosts(client_a, path):
    assert client_a.get(path).status_code == 404


# --- end to end -------------------------------------------------------------------------------


@pytest.mark.slow
def test_signup_through_real_provisioning_to_an_open_workspace(public_client):
    """The form, then provisioning as the worker runs it, then the workspace answers.

    The schema is created inside the test's transaction (DDL is transactional in PostgreSQL),
    so the rollback at the end of the test removes it with the rows; nothing to clean up.
    On-commit callbacks never run inside that transaction, so no task reaches Celery.
    """
    response, token = sign_up(public_client, slug="e2e-works", apps=["crm"])
    tenant = Tenant.objects.get(slug="e2e-works")

    services.tenant_provision_run(tenant.pk)

    assert schema_exists("e2e_works")
    status = public_client.get("/signup/e2e-works/status/", {"t": token}).json()
    assert status["status"] == "active"
    assert status["url"] == "http://e2e-works.localhost/"
    page = public_client.get(response["Location"]).content.decode()
    assert 'href="http://e2e-works.localhost/"' in page
    workspace = HostClient("e2e-works.localhost")
    assert workspace.get("/login/").status_code == 200
    workspace.sign_in(username=status["admin_username"], password=PASSWORD)
    assert workspace.get("/admin/").status_code == 200
    connection.set_schema_to_public()
