"""JWT login bound to the tenant that issued it (DESIGN.md §3, §9)."""

import pytest

from tests.conftest import HostClient, obtain_tokens

pytestmark = pytest.mark.django_db


@pytest.mark.smoke
def test_login_then_me(client_a):
    tokens = obtain_tokens(client_a)

    response = client_a.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")

    assert response.status_code == 200
    assert response.json()["data"]["attributes"]["username"] == "owner"


@pytest.mark.smoke
def test_token_of_tenant_a_is_refused_on_tenant_b_and_public_hosts(client_a, client_b):
    access = obtain_tokens(client_a)["access"]

    on_b = client_b.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {access}")
    on_public = HostClient("localhost").get("/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {access}")

    for response in (on_b, on_public):
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "NOT_AUTHENTICATED"


def test_refresh_token_of_tenant_a_cannot_be_refreshed_on_tenant_b(client_a, client_b):
    refresh = obtain_tokens(client_a)["refresh"]

    response = client_b.post_json("/api/v1/auth/token/refresh/", {"refresh": refresh})

    assert response.status_code == 401


def test_refresh_rotates_and_the_old_refresh_token_is_refused(client_a):
    refresh = obtain_tokens(client_a)["refresh"]

    first = client_a.post_json("/api/v1/auth/token/refresh/", {"refresh": refresh})
    reuse = client_a.post_json("/api/v1/auth/token/refresh/", {"refresh": refresh})

    assert first.status_code == 200
    rotated = first.json()["data"]["attributes"]
    assert rotated["refresh"] != refresh
    assert "access" in rotated
    assert reuse.status_code == 401
    assert reuse.json()["error"]["code"] == "NOT_AUTHENTICATED"


def test_logout_blacklists_the_refresh_token(client_a):
    refresh = obtain_tokens(client_a)["refresh"]

    logout = client_a.post_json("/api/v1/auth/logout/", {"refresh": refresh})
    after = client_a.post_json("/api/v1/auth/token/refresh/", {"refresh": refresh})

    assert logout.status_code == 204
    assert after.status_code == 401


def test_logout_with_another_tenants_token_is_refused(client_a, client_b):
    refresh = obtain_tokens(client_a)["refresh"]

    response = client_b.post_json("/api/v1/auth/logout/", {"refresh": refresh})

    assert response.status_code == 401
    # and it still works at home
    assert (
        client_a.post_json("/api/v1/auth/token/refresh/", {"refresh": refresh}).status_code == 200
    )


def test_disabled_user_token_stops_working(client_a, tenant_a):
    from django_tenants.utils import schema_context

    from apps.identity.models import User

    access = obtain_tokens(client_a)["access"]
    with schema_context(tenant_a.schema_name):
        User.objects.filter(username="owner").update(is_active=False)

    response = client_a.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {access}")

    assert response.status_code == 401


def test_token_user_is_the_same_user_the_orm_loads(tenant_a):
    from django_tenants.utils import schema_context

    from apps.identity.authentication import user_by_id
    from apps.identity.models import User

    with schema_context(tenant_a.schema_name):
        orm = User.objects.get(username="owner")
        fast = user_by_id(orm.pk)

        assert fast == orm
        assert all(
            getattr(fast, f.attname) == getattr(orm, f.attname) for f in User._meta.concrete_fields
        )
        assert fast._state.adding is False
        assert user_by_id(987654321) is None


def test_token_of_a_deleted_user_is_refused(client_a, tenant_a):
    from django_tenants.utils import schema_context

    from apps.identity.models import User
    from apps.identity.services import user_create

    with schema_context(tenant_a.schema_name):
        user_create(username="leaver", password="leaver-password-1")
    access = obtain_tokens(client_a, "leaver", "leaver-password-1")["access"]
    with schema_context(tenant_a.schema_name):
        User.objects.filter(username="leaver").delete()

    response = client_a.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {access}")

    assert response.status_code == 401
