"""Sessions (timeouts, ending them), invitations, password reset and the users API."""

import re
import time

import pytest
from django.contrib.sessions.models import Session
from django_tenants.utils import schema_context

from apps.identity import services
from apps.identity.models import Role, User, UserSession
from apps.identity.sessions import SEEN, STARTED
from tests.conftest import HostClient, obtain_tokens

pytestmark = pytest.mark.django_db

PASSWORD = "member-password-1"
HOST = "tenant-a.localhost"


def member(tenant, username="sam", *roles):
    with schema_context(tenant.schema_name):
        user = services.user_create(username=username, password=PASSWORD, email=f"{username}@x.io")
        for name in roles:
            services.role_grant(user=user, role=Role.objects.get(name=name))
    return user


def signed_in(username="sam") -> HostClient:
    client = HostClient(HOST)
    assert client.post("/login/", {"username": username, "password": PASSWORD}).status_code == 302
    return client


def test_sign_in_records_the_browser_session(tenant_a):
    user = member(tenant_a)

    client = signed_in()

    with schema_context(tenant_a.schema_name):
        recorded = UserSession.objects.get(user=user)
    assert recorded.session_key == client.cookies["sessionid"].value
    assert recorded.ip == "127.0.0.1"


def test_disabling_a_user_ends_all_its_sessions_and_tokens(tenant_a):
    user = member(tenant_a, "sam", "IT Manager")
    browser_one, browser_two = signed_in(), signed_in()
    tokens = obtain_tokens(HostClient(HOST), "sam", PASSWORD)
    owner = HostClient(HOST).authenticate(obtain_tokens(HostClient(HOST))["access"])
    keys = [browser.cookies["sessionid"].value for browser in (browser_one, browser_two)]

    disabled = owner.post_json(f"/api/v1/users/{user.pk}/disable/")

    assert disabled.status_code == 200
    assert disabled.json()["data"]["attributes"]["is_active"] is False
    for browser in (browser_one, browser_two):
        response = browser.get("/")
        assert response.status_code == 302
        assert response["Location"].startswith("/login/")
    with schema_context(tenant_a.schema_name):
        assert not Session.objects.filter(session_key__in=keys).exists()
        assert not UserSession.objects.filter(user=user).exists()
    access = HostClient(HOST).get("/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    refresh = HostClient(HOST).post_json(
        "/api/v1/auth/token/refresh/", {"refresh": tokens["refresh"]}
    )
    assert access.status_code == 401
    assert refresh.status_code == 401


def test_idle_session_times_out(tenant_a, settings):
    member(tenant_a)
    client = signed_in()
    session = client.session
    session[SEEN] = time.time() - settings.SESSION_IDLE_SECONDS - 5
    session.save()

    response = client.get("/")

    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_session_ends_at_the_absolute_limit_however_active(tenant_a, settings):
    member(tenant_a)
    client = signed_in()
    session = client.session
    session[STARTED] = time.time() - settings.SESSION_ABSOLUTE_SECONDS - 5
    session.save()

    assert client.get("/").status_code == 302


def test_active_session_stays_signed_in(tenant_a):
    member(tenant_a)
    client = signed_in()

    assert client.get("/").status_code == 200
    assert client.get("/").status_code == 200


def test_invitation_email_lets_the_user_choose_a_password_and_sign_in(
    tenant_a, mailoutbox, django_capture_on_commit_callbacks
):
    owner = HostClient(HOST).authenticate(obtain_tokens(HostClient(HOST))["access"])

    with django_capture_on_commit_callbacks(execute=True):
        invited = owner.post_json(
            "/api/v1/users/invite/",
            {"email": "new.hire@tenant-a.example.com", "first_name": "Nia", "roles": ["Sales Rep"]},
        )

    assert invited.status_code == 201
    attrs = invited.json()["data"]["attributes"]
    assert attrs["username"] == "new.hire"
    assert attrs["roles"] == ["Sales Rep"]
    assert len(mailoutbox) == 1
    body = mailoutbox[0].body
    assert "Tenant A" in mailoutbox[0].subject
    link = re.search(r"http://tenant-a\.localhost(/invite/\S+/)", body).group(1)
    client = HostClient(HOST)
    form = client.get(link, follow=True)
    assert "Welcome! Choose your password" in form.content.decode()
    done = client.post(
        form.redirect_chain[-1][0] if form.redirect_chain else link,
        {"new_password1": "Brand-New-Pass-77", "new_password2": "Brand-New-Pass-77"},
    )
    assert done.status_code == 302
    signed = HostClient(HOST).post(
        "/login/", {"username": "new.hire", "password": "Brand-New-Pass-77"}
    )
    assert signed.status_code == 302


def test_invited_email_twice_is_a_validation_error(tenant_a):
    owner = HostClient(HOST).authenticate(obtain_tokens(HostClient(HOST))["access"])
    owner.post_json("/api/v1/users/invite/", {"email": "dup@x.io"})

    again = owner.post_json("/api/v1/users/invite/", {"email": "DUP@x.io"})

    assert again.status_code == 400
    assert again.json()["error"]["details"][0]["field"] == "email"


def test_password_reset_by_email(tenant_a, mailoutbox):
    member(tenant_a, "sam")
    client = HostClient(HOST)

    sent = client.post("/password-reset/", {"email": "sam@x.io"})
    link = re.search(r"http://tenant-a\.localhost(/reset/\S+/)", mailoutbox[0].body).group(1)
    form = client.get(link, follow=True)
    done = client.post(
        form.redirect_chain[-1][0],
        {"new_password1": "Another-Pass-88", "new_password2": "Another-Pass-88"},
    )

    assert sent.status_code == 302
    assert done.status_code == 302
    with schema_context(tenant_a.schema_name):
        assert User.objects.get(username="sam").check_password("Another-Pass-88")


def test_password_reset_email_of_another_tenants_user_sends_nothing(tenant_a, mailoutbox):
    member(tenant_a, "sam")

    HostClient("tenant-b.localhost").post("/password-reset/", {"email": "sam@x.io"})

    assert mailoutbox == []


def test_users_api_is_for_super_admins_only_and_lists_only_this_tenant(tenant_a, tenant_b):
    member(tenant_a, "sam", "IT Manager")
    sam = HostClient(HOST).authenticate(obtain_tokens(HostClient(HOST), "sam", PASSWORD)["access"])
    owner_b = HostClient("tenant-b.localhost").authenticate(
        obtain_tokens(HostClient("tenant-b.localhost"))["access"]
    )

    refused = sam.get("/api/v1/users/")
    listed = owner_b.get("/api/v1/users/").json()["data"]
    with schema_context(tenant_a.schema_name):
        sam_id = User.objects.get(username="sam").pk
    foreign = owner_b.post_json(f"/api/v1/users/{sam_id}/disable/")

    assert refused.status_code == 403
    assert [u["attributes"]["username"] for u in listed] == ["owner"]
    assert foreign.status_code == 404


def test_set_roles_replaces_them(tenant_a):
    user = member(tenant_a, "sam", "Field Tech")
    owner = HostClient(HOST).authenticate(obtain_tokens(HostClient(HOST))["access"])

    response = owner.put(
        f"/api/v1/users/{user.pk}/roles/",
        {"roles": ["IT Manager", "CRM Admin"]},
        content_type="application/json",
    )

    assert response.json()["data"]["attributes"]["roles"] == ["CRM Admin", "IT Manager"]
