"""Lock-out after repeated failed sign-ins (django-axes), per tenant, cleared in the admin."""

import itertools

import pytest
from django.conf import settings
from django.db import connection
from django_tenants.utils import schema_context

from tests.conftest import PASSWORD, HostClient

pytestmark = pytest.mark.django_db

SAM_PASSWORD = "sam-password-123"
_addresses = itertools.count(1)


def new_ip() -> str:
    """Each attempt from another address: the lock-out is per account, not per IP."""
    return f"198.51.100.{next(_addresses)}"


def sign_in(client, username, password):
    return client.post_json(
        "/api/v1/auth/token/", {"username": username, "password": password}, REMOTE_ADDR=new_ip()
    )


def create_sam(tenant):
    from apps.identity.models import User

    with schema_context(tenant.schema_name):
        return User.objects.create_user("sam", "sam@example.com", SAM_PASSWORD)


def lock(client, username):
    return [sign_in(client, username, "wrong").status_code for _ in range(5)]


def test_five_wrong_passwords_lock_the_account_from_any_ip(client_a, tenant_a):
    create_sam(tenant_a)
    assert sign_in(client_a, "sam", SAM_PASSWORD).status_code == 200

    statuses = lock(client_a, "sam")
    refused = sign_in(client_a, "sam", SAM_PASSWORD)

    assert statuses == [401, 401, 401, 401, 429]
    assert refused.status_code == 429
    error = refused.json()["error"]
    assert error["code"] == "RATE_LIMITED"
    assert "locked for 30 minutes" in error["message"]
    assert 1700 < int(refused["Retry-After"]) <= 1801


def test_a_locked_account_cannot_sign_in_on_the_page_either(client_a, tenant_a):
    create_sam(tenant_a)
    lock(client_a, "sam")

    response = client_a.post(
        "/login/", {"username": "sam", "password": SAM_PASSWORD}, REMOTE_ADDR=new_ip()
    )

    assert response.status_code == 429
    assert response["Content-Type"].startswith("text/html")
    assert int(response["Retry-After"]) > 1700
    assert b"This account is locked" in response.content
    assert "sessionid" not in response.cookies


def test_fewer_failures_do_not_lock(client_a, tenant_a):
    create_sam(tenant_a)
    for _ in range(4):
        sign_in(client_a, "sam", "wrong")

    assert sign_in(client_a, "sam", SAM_PASSWORD).status_code == 200


def test_lockout_is_per_tenant(client_a, client_b):
    assert lock(client_a, "owner")[-1] == 429

    assert sign_in(client_b, "owner", PASSWORD).status_code == 200
    assert sign_in(client_a, "owner", PASSWORD).status_code == 429


def test_tenant_super_admin_sees_the_lockout_and_clearing_it_unlocks(client_a, tenant_a):
    from axes.models import AccessAttempt

    create_sam(tenant_a)
    lock(client_a, "sam")
    admin = HostClient(client_a.host).sign_in()

    listing = admin.get("/admin/axes/accessattempt/")

    assert listing.status_code == 200
    assert b"sam" in listing.content
    with schema_context(tenant_a.schema_name):
        attempts = list(AccessAttempt.objects.filter(username="sam"))
    assert sum(attempt.failures_since_start for attempt in attempts) == 5
    for attempt in attempts:
        deleted = admin.post(f"/admin/axes/accessattempt/{attempt.pk}/delete/", {"post": "yes"})
        assert deleted.status_code == 302
    assert sign_in(client_a, "sam", SAM_PASSWORD).status_code == 200


def test_platform_staff_do_not_see_a_tenants_attempts(client_a, tenant_a):
    from axes.models import AccessAttempt

    from apps.identity.models import User

    create_sam(tenant_a)
    lock(client_a, "sam")
    connection.set_schema_to_public()
    User.objects.create_superuser("operator", "op@example.com", "op-password-123")
    console = HostClient(settings.BASE_DOMAIN).sign_in("operator", "op-password-123")

    listing = console.get("/admin/axes/accessattempt/")

    assert listing.status_code == 200
    assert b"sam" not in listing.content
    assert not AccessAttempt.objects.filter(username="sam").exists()  # the public schema's
