"""Rate limits of DESIGN.md §7: Redis counters shared by every worker, 429 RATE_LIMITED.

Counters outlive a test (they live in Redis); tests/conftest.py deletes the rate-limit keys
before each test, and every test here also signs in from addresses of its own.
"""

import itertools
import subprocess
import sys
import uuid

import pytest
from django.conf import settings
from django.test import override_settings
from django.urls import path
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework.viewsets import ViewSet

from apps.core.ratelimit import hit, rate_key
from apps.core.throttling import bulk_operation
from tests.conftest import PASSWORD, HostClient, obtain_tokens
from tests.core.test_errors import assert_error
from tests.servers import child_env
from tests.urls_tenant import urlpatterns as test_urlpatterns

pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]


# --- Bulk operations: a view and a viewset action that opt in ----------------------------------


class BulkImport(APIView):
    permission_classes = [IsAuthenticated]
    bulk = True

    def post(self, request):
        return Response({"imported": 1})


class Exports(ViewSet):
    permission_classes = [IsAuthenticated]

    def list(self, request):
        return Response([])

    @bulk_operation
    @action(detail=False, methods=["post"])
    def export_all(self, request):
        return Response({"exported": True})


urlpatterns = [
    path("api/v1/test/bulk-import/", BulkImport.as_view()),
    path("api/v1/test/exports/", Exports.as_view({"get": "list"})),
    path("api/v1/test/exports/export-all/", Exports.as_view({"post": "export_all"})),
    *test_urlpatterns,
]

_addresses = itertools.count(1)


def new_ip() -> str:
    """An address no other test (of this run) signs in from (TEST-NET-3)."""
    return f"203.0.113.{next(_addresses)}"


def assert_rate_limited(response, max_wait: int = 60):
    error = assert_error(response, 429, "RATE_LIMITED")
    assert 0 < int(response["Retry-After"]) <= max_wait + 1
    return error


def token_post(client, ip, username="owner", password=PASSWORD):
    return client.post_json(
        "/api/v1/auth/token/", {"username": username, "password": password}, REMOTE_ADDR=ip
    )


# --- Sign-in: 5 a minute per IP ----------------------------------------------------------------


def test_sixth_token_request_from_one_ip_within_a_minute_is_rate_limited(client_a):
    ip = new_ip()
    statuses = [
        token_post(client_a, ip, password=PASSWORD if n % 2 else "wrong").status_code
        for n in range(5)
    ]

    sixth = token_post(client_a, ip)

    assert statuses == [401, 200, 401, 200, 401]
    assert_rate_limited(sixth)


def test_another_ip_is_not_affected_by_an_exhausted_sign_in_budget(client_a):
    ip = new_ip()
    for _ in range(6):
        token_post(client_a, ip, "nobody", "wrong")

    assert token_post(client_a, ip).status_code == 429
    assert token_post(client_a, new_ip()).status_code == 200


def test_sixth_sign_in_page_post_from_one_ip_is_a_friendly_429_page(client_a):
    ip = new_ip()
    statuses = [
        client_a.post("/login/", {"username": f"nobody-{n}", "password": "x"}, REMOTE_ADDR=ip)
        for n in range(5)
    ]

    sixth = client_a.post("/login/", {"username": "owner", "password": PASSWORD}, REMOTE_ADDR=ip)

    assert [r.status_code for r in statuses] == [200] * 5  # the form again, with an error
    assert sixth.status_code == 429
    assert sixth["Content-Type"].startswith("text/html")
    assert 0 < int(sixth["Retry-After"]) <= 60
    assert b"Too many sign-in attempts" in sixth.content
    assert "sessionid" not in sixth.cookies
    # The page itself still shows; only attempts are limited.
    assert client_a.get("/login/", REMOTE_ADDR=ip).status_code == 200


def test_page_and_api_sign_ins_share_one_budget_per_ip(client_a):
    ip = new_ip()
    for _ in range(3):
        client_a.post("/login/", {"username": "nobody", "password": "x"}, REMOTE_ADDR=ip)
    for _ in range(2):
        token_post(client_a, ip, "nobody", "wrong")

    assert_rate_limited(token_post(client_a, ip))
    page = client_a.post("/login/", {"username": "x", "password": "x"}, REMOTE_ADDR=ip)
    assert page.status_code == 429


def test_sign_in_budget_of_an_ip_spans_tenants(client_a, client_b):
    """Cycling through tenant hosts gives an attacker no more guesses."""
    ip = new_ip()
    for _ in range(5):
        token_post(client_a, ip, "nobody", "wrong")

    assert_rate_limited(token_post(client_b, ip))


def test_forwarded_for_is_not_trusted_without_proxies(client_a):
    ip = new_ip()
    for n in range(5):
        client_a.post_json(
            "/api/v1/auth/token/",
            {"username": "nobody", "password": "wrong"},
            REMOTE_ADDR=ip,
            HTTP_X_FORWARDED_FOR=f"10.9.9.{n}",
        )

    sixth = client_a.post_json(
        "/api/v1/auth/token/",
        {"username": "owner", "password": PASSWORD},
        REMOTE_ADDR=ip,
        HTTP_X_FORWARDED_FOR="10.9.9.99",
    )

    assert_rate_limited(sixth)


# --- API: 100 a minute per user ----------------------------------------------------------------


def test_101st_api_request_of_a_user_within_a_minute_is_rate_limited_by_default(api_a):
    assert settings.API_RATE_PER_MINUTE == 100
    statuses = {api_a.get("/api/v1/me/").status_code for _ in range(100)}

    response = api_a.get("/api/v1/me/")

    assert statuses == {200}
    assert_rate_limited(response)


@override_settings(API_RATE_PER_MINUTE=5)
def test_api_limit_is_per_user(api_a, client_a, tenant_a):
    from django_tenants.utils import schema_context

    from apps.identity.models import User

    for _ in range(5):
        assert api_a.get("/api/v1/me/").status_code == 200
    assert_rate_limited(api_a.get("/api/v1/me/"))

    with schema_context(tenant_a.schema_name):
        User.objects.create_user("clerk", password="pw-clerk-123")
    clerk = HostClient(client_a.host)
    clerk.authenticate(obtain_tokens(clerk, "clerk", "pw-clerk-123")["access"])
    assert clerk.get("/api/v1/me/").status_code == 200


@override_settings(API_RATE_PER_MINUTE=5)
def test_api_limit_of_a_tenant_user_does_not_touch_another_tenants_user(api_a, client_b):
    api_b = HostClient(client_b.host).authenticate(obtain_tokens(client_b)["access"])
    for _ in range(6):
        api_a.get("/api/v1/me/")

    assert api_a.get("/api/v1/me/").status_code == 429
    # Same user id, another schema: another user, another counter.
    assert api_b.get("/api/v1/me/").status_code == 200


@override_settings(API_RATE_PER_MINUTE=1)
def test_probes_and_metrics_are_not_throttled(client_a):
    for _ in range(3):
        assert client_a.get("/health/live").status_code == 200
        assert client_a.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 200


# --- Search: 30 a minute per tenant ------------------------------------------------------------


def test_search_limit_is_per_tenant(api_a, client_b):
    api_b = HostClient(client_b.host).authenticate(obtain_tokens(client_b)["access"])
    url = "/api/v1/test/heartbeats/?search=x"
    assert settings.SEARCH_RATE_PER_MINUTE == 30

    statuses = [api_a.get(url).status_code for _ in range(30)]

    assert set(statuses) == {200}
    assert_rate_limited(api_a.get(url))
    # Tenant B's budget is its own; tenant A's other requests are not searches.
    assert api_b.get(url).status_code == 200
    assert api_a.get("/api/v1/test/heartbeats/").status_code == 200
    assert api_a.get("/api/v1/test/heartbeats/?search=").status_code == 200


@override_settings(SEARCH_RATE_PER_MINUTE=2)
def test_search_budget_is_shared_by_the_tenants_users(api_a, client_a, tenant_a):
    from django_tenants.utils import schema_context

    from apps.identity.models import User

    with schema_context(tenant_a.schema_name):
        User.objects.create_superuser("second", "s@example.com", "pw-second-123")
    second = HostClient(client_a.host)
    second.authenticate(obtain_tokens(second, "second", "pw-second-123")["access"])

    assert api_a.get("/api/v1/test/heartbeats/?search=a").status_code == 200
    assert second.get("/api/v1/test/heartbeats/?search=b").status_code == 200
    assert_rate_limited(second.get("/api/v1/test/heartbeats/?search=c"))


# --- Bulk operations: 10 an hour per user ------------------------------------------------------


def test_bulk_operations_are_limited_per_hour(api_a):
    assert settings.BULK_RATE_PER_HOUR == 10
    statuses = [api_a.post_json("/api/v1/test/bulk-import/").status_code for _ in range(10)]

    eleventh = api_a.post_json("/api/v1/test/bulk-import/")

    assert set(statuses) == {200}
    assert_rate_limited(eleventh, max_wait=3600)
    assert int(eleventh["Retry-After"]) > 3500
    # Other requests of the same user are not bulk operations.
    assert api_a.get("/api/v1/me/").status_code == 200


@override_settings(BULK_RATE_PER_HOUR=2)
def test_a_viewset_action_opts_in_with_bulk_operation(api_a):
    for _ in range(2):
        assert api_a.post_json("/api/v1/test/exports/export-all/").status_code == 200

    assert_rate_limited(api_a.post_json("/api/v1/test/exports/export-all/"), max_wait=3600)
    # The viewset's other actions are not bulk operations; the budget is shared by all of them.
    assert api_a.get("/api/v1/test/exports/").status_code == 200
    assert api_a.post_json("/api/v1/test/bulk-import/").status_code == 429


# --- Plans raise the limits --------------------------------------------------------------------


@override_settings(API_RATE_PER_MINUTE=3)
def test_enterprise_plan_raises_the_api_rate_of_its_tenant(
    api_a, client_b, tenant_a, django_capture_on_commit_callbacks
):
    from apps.platform.catalog.models import Plan
    from apps.platform.licensing import services
    from apps.platform.licensing.entitlements import entitlements_for
    from apps.platform.licensing.models import Subscription

    api_b = HostClient(client_b.host).authenticate(obtain_tokens(client_b)["access"])
    for _ in range(3):
        assert api_a.get("/api/v1/me/").status_code == 200
    assert api_a.get("/api/v1/me/").status_code == 429

    with django_capture_on_commit_callbacks(execute=True):
        services.subscription_change_plan(
            subscription=Subscription.objects.get(tenant=tenant_a, app__key="isp"),
            plan=Plan.objects.get(app__key="isp", key="enterprise"),
            actor="test",
        )

    assert entitlements_for(tenant_a.schema_name).highest_limit("platform.api_rate_per_minute")
    statuses = {api_a.get("/api/v1/me/").status_code for _ in range(10)}
    assert statuses == {200}
    # Tenant B keeps the setting's rate.
    for _ in range(3):
        api_b.get("/api/v1/me/")
    assert api_b.get("/api/v1/me/").status_code == 429


def test_highest_limit_takes_the_best_usable_licence_and_ignores_nulls():
    from apps.platform.licensing.entitlements import AppLicence, Entitlements

    def licence(app, rate, usable=True):
        return AppLicence(app, app, "p", "p", "active", limits={"platform.x": rate},
                          usable_status=usable)  # fmt: skip

    entitlements = Entitlements(
        "t",
        {
            "isp": licence("isp", 200),
            "crm": licence("crm", 500, usable=False),
            "commerce": licence("commerce", None),
        },
    )

    assert entitlements.highest_limit("platform.x") == 200
    assert entitlements.highest_limit("platform.y") is None


def test_existing_enterprise_plans_get_the_raised_api_rate():
    from apps.platform.catalog.models import Plan

    enterprise = Plan.objects.filter(key="enterprise")

    assert enterprise.count() == 4
    assert {plan.limits.get("platform.api_rate_per_minute") for plan in enterprise} == {1000}
    assert not Plan.objects.exclude(key="enterprise").filter(
        limits__has_key="platform.api_rate_per_minute"
    )


# --- The counters ------------------------------------------------------------------------------


def test_counters_are_shared_across_processes():
    """A worker process counts against the same Redis counter as this one."""
    key = rate_key("test", uuid.uuid4().hex)
    for _ in range(3):
        assert hit(key, 5, 60).allowed
    code = (
        "import django; django.setup(); from apps.core.ratelimit import hit; "
        f"print(hit({key!r}, 5, 60).count)"
    )
    other = subprocess.run(
        [sys.executable, "-c", code],
        env=child_env(),
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        check=True,
    )

    assert other.stdout.strip().splitlines()[-1] == "4"
    assert hit(key, 5, 60).allowed  # the fifth
    sixth = hit(key, 5, 60)
    assert not sixth.allowed
    assert sixth.count == 6
    assert 0 < sixth.resets_in <= 60


def test_refused_requests_do_not_extend_the_window():
    from apps.core.localcache import redis_client

    key = rate_key("test", uuid.uuid4().hex)
    hit(key, 1, 60)
    redis_client().pexpire(key, 1500)

    refused = hit(key, 1, 60)

    assert not refused.allowed
    assert refused.resets_in <= 1.5
    assert refused.retry_after == 2


def test_limits_are_not_enforced_when_redis_is_unreachable(monkeypatch):
    import redis

    from apps.core import ratelimit

    unreachable = redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2)
    monkeypatch.setattr(ratelimit, "redis_client", lambda: unreachable)

    outcome = ratelimit.hit(rate_key("test", "down"), 0, 60)

    assert outcome.allowed


@pytest.mark.parametrize("client_name", ["client_a", "public_client"])
def test_console_sign_in_shares_the_per_ip_budget(request, client_name):
    client = request.getfixturevalue(client_name)
    ip = new_ip()
    for n in range(5):
        client.post("/admin/login/", {"username": f"nobody-{n}", "password": "x"}, REMOTE_ADDR=ip)

    sixth = client.post("/admin/login/", {"username": "owner", "password": "x"}, REMOTE_ADDR=ip)

    assert sixth.status_code == 429
    assert 0 < int(sixth["Retry-After"]) <= 60
