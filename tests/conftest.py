"""Suite-wide fixtures: three tenants provisioned once per session, host-bound clients, tokens.

Tenant schemas are created once (schema creation is DDL and slow) and committed, so that other
processes (gunicorn, Celery workers) started by tests see them too. Tests that run inside a
transaction leave no trace; tests that need committed rows clean up after themselves.
"""

import contextlib
import itertools

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django_tenants.utils import schema_context

PASSWORD = "correct-horse-battery"
TENANTS = {"a": "tenant-a", "b": "tenant-b", "c": "tenant-c"}
# Like the demo: A has ISP, CRM and E-commerce; B has ISP and Project Management (no CRM).
# C has CRM and Project Management: the tenant without ISP (APP_NOT_SUBSCRIBED), and a second
# CRM and Projects tenant (cross-tenant ids of their records). Provisioning it costs one schema
# clone per session.
TENANT_APPS = {
    "tenant-a": ("isp", "crm", "commerce"),
    "tenant-b": ("isp", "projects"),
    "tenant-c": ("crm", "projects"),
}


def host_of(slug: str) -> str:
    return f"{slug}.{settings.BASE_DOMAIN}"


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    from apps.platform.tenants import schemas, services

    with django_db_blocker.unblock():
        services.public_tenant_ensure()
        # The migrated template, once: every tenant after it (the session's and the tests'
        # own) is a clone of it in about a second instead of a migration of its own.
        schemas.template_refresh()
        for slug in TENANTS.values():
            services.tenant_create_now(
                name=f"Tenant {slug[-1].upper()}",
                slug=slug,
                admin_username="owner",
                admin_email=f"owner@{slug}.example.com",
                admin_password=PASSWORD,
                apps=TENANT_APPS[slug],
            )
        connection.set_schema_to_public()
    yield
    # A thread's connection outlives its thread (the Celery worker's, a test's own threads):
    # end them, or pytest-django cannot drop the test database ("being accessed by other users").
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )


@pytest.fixture(scope="session")
def celery_worker(django_db_setup, django_db_blocker):
    """A real Celery worker (solo pool, in a thread) consuming from Redis, for the session.

    Session-scoped so that it starts before any test transaction: Celery's Django fix-up closes
    the database connections of the process when a worker starts.
    """
    from celery.contrib.testing.worker import start_worker

    from dotmac.celery import app

    with (
        django_db_blocker.unblock(),
        start_worker(
            app, pool="solo", perform_ping_check=False, loglevel="WARNING", shutdown_timeout=10
        ) as worker,
    ):
        yield worker


@pytest.fixture
def tenant_a(db):
    from apps.platform.tenants.models import Tenant

    return Tenant.objects.get(slug=TENANTS["a"])


@pytest.fixture
def tenant_b(db):
    from apps.platform.tenants.models import Tenant

    return Tenant.objects.get(slug=TENANTS["b"])


@pytest.fixture
def tenant_c(db):
    from apps.platform.tenants.models import Tenant

    return Tenant.objects.get(slug=TENANTS["c"])


@pytest.fixture
def in_tenant_a(tenant_a):
    """Run the test body in tenant A's schema (direct model and service work)."""
    with schema_context(tenant_a.schema_name):
        yield tenant_a


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    """Every test starts with full rate-limit budgets, as if a minute (an hour) had passed.

    The limits stay at their production values (5 sign-ins a minute per IP, 100 requests a
    minute per user...), so a test sees the real behaviour; but counters live in Redis and
    outlive a test (and a run), and the suite signs in as tenant A's owner from 127.0.0.1 far
    more often than that. Only the rate-limit keys are deleted, never the whole database.
    """
    from apps.core.localcache import redis_client
    from apps.core.ratelimit import rate_key

    client = redis_client()
    keys = list(client.scan_iter(match=rate_key("*"), count=1000))
    if keys:
        client.delete(*keys)


@pytest.fixture(autouse=True)
def _back_to_public_schema():
    """A test that switched the connection to a tenant must not leak it into the next one,
    nor leave cached routes or entitlements of rows its rolled-back transaction created."""
    yield
    connection.set_schema_to_public()
    from apps.core.localcache import tenancy_cache

    tenancy_cache.invalidate()


class HostClient(Client):
    """A Django test client bound to one host, sending and reading JSON."""

    def __init__(self, host: str, **defaults):
        super().__init__(HTTP_HOST=host, **defaults)
        self.host = host

    def authenticate(self, token: str) -> "HostClient":
        self.defaults["HTTP_AUTHORIZATION"] = f"Bearer {token}"
        return self

    def sign_in(self, username: str = "owner", password: str = PASSWORD) -> "HostClient":
        """Sign in through the real login form of this host (session cookie, host-only)."""
        response = self.post("/admin/login/", {"username": username, "password": password})
        assert response.status_code == 302, "login failed"
        return self

    def post_json(self, path, data=None, **extra):
        return self.post(path, data or {}, content_type="application/json", **extra)


@pytest.fixture
def public_client(db):
    return HostClient(settings.BASE_DOMAIN)


@pytest.fixture
def client_a(db):
    return HostClient(host_of(TENANTS["a"]))


@pytest.fixture
def client_b(db):
    return HostClient(host_of(TENANTS["b"]))


@pytest.fixture
def client_c(db):
    return HostClient(host_of(TENANTS["c"]))


_helper_addresses = itertools.count(1)


def obtain_tokens(client: HostClient, username: str = "owner", password: str = PASSWORD) -> dict:
    # From an address of its own: a test's own sign-ins (from 127.0.0.1) keep their full budget.
    n = next(_helper_addresses)
    response = client.post_json(
        "/api/v1/auth/token/",
        {"username": username, "password": password},
        REMOTE_ADDR=f"198.18.{n // 250 % 250}.{n % 250 + 1}",
    )
    assert response.status_code == 200, response.content
    return response.json()["data"]["attributes"]


@pytest.fixture
def tokens_a(client_a):
    return obtain_tokens(client_a)


@pytest.fixture
def api_a(client_a, tokens_a):
    """Tenant A's super admin, authenticated with a bearer token."""
    return HostClient(client_a.host).authenticate(tokens_a["access"])


@pytest.fixture(scope="session")
def web_server(django_db_setup):
    """gunicorn serving the test database on a free port, for browser tests.

    It sees committed rows only: a browser test creates its data through the pages themselves
    or with tests.committed.committed(), and removes what it committed.
    """
    from tests.servers import Gunicorn

    with Gunicorn(workers=2) as server:
        yield server


@pytest.fixture(scope="session")
def chromium(django_db_setup):
    """Headless Chromium from the distribution's package (CHROMIUM, default /usr/bin/chromium),
    driven by Playwright. Playwright's sync API runs an event loop in this thread, so Django's
    async-safety check must be told that the ORM calls of the test itself are fine."""
    import os

    from playwright.sync_api import sync_playwright

    executable = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    if not os.path.exists(executable):
        pytest.fail(f"{executable} is missing: apt-get install chromium (or set CHROMIUM)")
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        yield browser
        browser.close()


# Every page a browser test opens reports what its policies refused: Content-Security-Policy
# violations (the page's own securitypolicyviolation events, and Chromium's console lines) and
# Permissions-Policy header errors. A browser test fails if any page saw one.
POLICY_LISTENER = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.__policyViolation(`${event.violatedDirective} refused ${event.blockedURI || "inline"}`
    + ` at ${event.sourceFile || document.location.href}:${event.lineNumber}`);
});
"""


def _is_policy_message(text: str) -> bool:
    return "Content Security Policy" in text or "Permissions-Policy" in text


class TenantPage:
    """One browser tab on a host of the live server (a tenant's `<slug>.localhost:<port>`,
    which Chromium resolves to 127.0.0.1, or the public host). `violations` lists what the
    policies refused on every page of its browser context, popups included."""

    def __init__(self, page, base_url: str, violations: list):
        self.page = page
        self.base_url = base_url
        self.violations = violations

    def url(self, path: str) -> str:
        return f"{self.base_url}{path}"

    def goto(self, path: str):
        return self.page.goto(self.url(path))

    def sign_in(self, username: str = "owner", password: str = PASSWORD) -> "TenantPage":
        self.goto("/login/")
        self.page.fill("#id_username", username)
        self.page.fill("#id_password", password)
        with self.page.expect_navigation():
            self.page.press("#id_password", "Enter")
        assert "/login/" not in self.page.url, "sign-in failed"
        return self


@contextlib.contextmanager
def _browser_tabs(web_server, chromium):
    """Opens tabs, each in a fresh browser context (no cookies) watched for policy violations;
    closes them, then fails the test if any page saw a violation."""
    contexts = []

    def open_tab(host: str) -> TenantPage:
        context = chromium.new_context()
        context.set_default_timeout(15_000)
        violations = []
        contexts.append((context, violations))
        context.expose_function("__policyViolation", lambda text: violations.append(text))
        context.add_init_script(POLICY_LISTENER)
        context.on(
            "page",
            lambda page: page.on(
                "console",
                lambda message: (
                    _is_policy_message(message.text)
                    and violations.append(f"console: {message.text}")
                ),
            ),
        )
        return TenantPage(context.new_page(), f"http://{host}:{web_server.port}", violations)

    yield open_tab
    seen = []
    for context, violations in contexts:
        context.close()
        seen += violations
    if seen:
        pytest.fail("policy violations in the browser:\n" + "\n".join(seen))


@pytest.fixture
def tenant_page(db, web_server, chromium):
    """A fresh browser context (no cookies) on tenant A's host: `tenant_page("tenant-b")` for
    another tenant."""
    with _browser_tabs(web_server, chromium) as open_tab:
        yield lambda slug=TENANTS["a"]: open_tab(host_of(slug))


@pytest.fixture
def public_page(db, web_server, chromium):
    """A fresh browser context on the public (platform) host: `public_page()`."""
    with _browser_tabs(web_server, chromium) as open_tab:
        yield lambda: open_tab(settings.BASE_DOMAIN)


# The audit trail covers every write of the suite (issue 4); see tests/audit_coverage.py.
from tests.audit_coverage import (  # noqa: E402, F401
    _every_request_write_is_audited,
    pytest_configure,
    pytest_runtest_call,
)
