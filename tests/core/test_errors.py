"""Every error code of DESIGN.md §4 answers with the error envelope and its status."""

import pytest

from tests.conftest import HostClient

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.urls_tenant")]


def assert_error(response, status, code):
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"error"}
    error = body["error"]
    assert error["code"] == code
    assert isinstance(error["message"], str)
    assert error["message"]
    assert isinstance(error["details"], list)
    assert error["request_id"] == response["X-Request-ID"]
    return error


@pytest.mark.smoke
def test_validation_error_lists_each_field(client_a):
    error = assert_error(client_a.post_json("/api/v1/auth/token/", {}), 400, "VALIDATION_ERROR")

    assert error["message"] == "Invalid input data"
    fields = {detail["field"] for detail in error["details"]}
    assert fields == {"username", "password"}
    assert all(detail["message"] for detail in error["details"])


def test_malformed_json_is_a_validation_error(client_a):
    response = client_a.post("/api/v1/auth/token/", "{not json", content_type="application/json")
    assert_error(response, 400, "VALIDATION_ERROR")


def test_nested_validation_errors_have_dotted_field_paths(api_a):
    response = api_a.post_json("/api/v1/test/heartbeats/", {"source": "x" * 200})

    error = assert_error(response, 400, "VALIDATION_ERROR")
    fields = {detail["field"] for detail in error["details"]}
    assert {"source", "schema_name", "task_id"} <= fields


def test_missing_credentials_are_not_authenticated_with_www_authenticate(client_a):
    response = client_a.get("/api/v1/me/")

    assert_error(response, 401, "NOT_AUTHENTICATED")
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_garbage_token_is_not_authenticated(client_a):
    response = client_a.get("/api/v1/me/", HTTP_AUTHORIZATION="Bearer not.a.token")
    assert_error(response, 401, "NOT_AUTHENTICATED")


def test_wrong_password_is_not_authenticated(client_a):
    response = client_a.post_json("/api/v1/auth/token/", {"username": "owner", "password": "no"})
    assert_error(response, 401, "NOT_AUTHENTICATED")


def test_permission_denied(api_a, tenant_a):
    from django_tenants.utils import schema_context

    from apps.identity.models import User

    with schema_context(tenant_a.schema_name):
        User.objects.create_user("clerk", password="pw-clerk-123")
    clerk = HostClient(api_a.host)
    token = clerk.post_json(
        "/api/v1/auth/token/", {"username": "clerk", "password": "pw-clerk-123"}
    ).json()["data"]["attributes"]["access"]

    response = clerk.authenticate(token).get("/api/v1/test/heartbeats/staff_only/")

    assert_error(response, 403, "PERMISSION_DENIED")


@pytest.mark.parametrize(
    ("kind", "status", "code"),
    [
        ("app", 403, "APP_NOT_SUBSCRIBED"),
        ("feature", 403, "FEATURE_NOT_IN_PLAN"),
        ("limit", 403, "LIMIT_EXCEEDED"),
        ("conflict", 409, "CONFLICT"),
    ],
)
def test_dotmac_codes(client_a, kind, status, code):
    error = assert_error(client_a.get(f"/api/v1/test/raise/{kind}/"), status, code)
    if kind == "app":
        assert error["message"] == "Your organisation does not subscribe to CRM"
    if kind == "limit":
        assert error["details"] == [{"field": "isp.max_customers", "message": "5"}]


@pytest.mark.smoke
def test_unknown_api_route_is_not_found(client_a, public_client):
    assert_error(client_a.get("/api/v1/no-such-thing/"), 404, "NOT_FOUND")
    assert_error(public_client.get("/api/v1/no-such-thing/"), 404, "NOT_FOUND")


def test_unknown_route_outside_the_api_is_an_html_page(client_a):
    response = client_a.get("/no-such-page/")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
    assert b"Page not found" in response.content


def test_method_not_allowed(api_a):
    assert_error(api_a.delete("/api/v1/me/"), 405, "METHOD_NOT_ALLOWED")


def test_unsupported_media_type(client_a):
    response = client_a.post("/api/v1/auth/token/", {"username": "x"})  # multipart
    assert_error(response, 415, "UNSUPPORTED_MEDIA_TYPE")


def test_rate_limited_carries_retry_after(client_a):
    from django.core.cache import cache

    cache.clear()
    assert client_a.get("/api/v1/test/throttled/").status_code == 200

    response = client_a.get("/api/v1/test/throttled/")

    assert_error(response, 429, "RATE_LIMITED")
    assert 0 < int(response["Retry-After"]) <= 61


def test_unhandled_exception_in_api_view_is_internal_error_without_internals(client_a):
    response = client_a.get("/api/v1/test/raise/crash/")

    assert_error(response, 500, "INTERNAL_ERROR")
    assert b"hunter2" not in response.content
    assert b"Traceback" not in response.content


def test_unhandled_exception_in_plain_view_under_api_is_internal_error(tenant_a):
    client = HostClient(f"{tenant_a.slug}.localhost", raise_request_exception=False)

    response = client.get("/api/v1/test/plain-crash/")

    assert_error(response, 500, "INTERNAL_ERROR")
    assert b"secret internals" not in response.content


def test_integrity_error_is_a_conflict(api_a):
    data = {"source": "a", "schema_name": "s", "task_id": "dup"}
    assert api_a.post_json("/api/v1/test/heartbeats/", data).status_code == 201

    # The serializer's unique validator answers first (400); the database constraint is the
    # backstop for a race, answered as 409 (exercised directly through the handler).
    from django.db import IntegrityError

    from apps.core.api.exceptions import envelope_exception_handler

    response = envelope_exception_handler(IntegrityError("duplicate key"), {})
    assert response.status_code == 409
    assert response.data["error"]["code"] == "CONFLICT"


@pytest.mark.smoke
def test_unknown_host_is_not_found_never_the_public_site(db):
    for host in ("nobody.localhost", "evil.example.com", "127.0.0.1"):
        response = HostClient(host).get("/")
        assert_error(response, 404, "NOT_FOUND")
        assert b"DotMac platform" not in response.content
