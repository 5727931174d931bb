"""Security headers on every answer (issue 16, item 5): the Content-Security-Policy, HSTS,
Referrer-Policy, Permissions-Policy, nosniff, Cross-Origin-Opener-Policy and X-Frame-Options.

Every route of both URL confs that takes no parameter is requested (as a tenant's super admin,
as platform staff), with the page lists the other tests use and the pages of real records,
the portal's, the error pages and the answers that middleware gives on its own (unknown host,
suspended tenant, upgrade page, probes). HTML carries the page policy; anything else the policy
of a document that loads nothing; a PDF none (the browser's viewer is a plugin).

The templates are scanned too: no inline script, no inline handler, no javascript: URL and no
inline style, which the policy would refuse in the browser (tests/core/test_csp_browser.py).
"""

import re
from pathlib import Path

import pytest
from csp.exceptions import CSPNonceError
from django.conf import settings
from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.test import RequestFactory
from django.urls import URLResolver, get_resolver
from django.urls.resolvers import RoutePattern

from apps.core.security import ContentSecurityPolicyMiddleware
from apps.identity.models import User
from apps.platform.tenants import services as tenants
from tests.conftest import TENANTS, HostClient, obtain_tokens
from tests.crm.factories import AccountFactory, LeadFactory, OpportunityFactory
from tests.crm.test_access_and_pages import LIST_PAGES as CRM_PAGES
from tests.crm.test_admin_and_page_costs import ADMIN_PAGES as CRM_ADMIN_PAGES
from tests.isp.pages_data import make_customer, make_invoice, make_portal_customer, sign_in
from tests.isp.test_pages import STAFF_PATHS as ISP_PAGES

pytestmark = pytest.mark.django_db

PAGE_POLICY = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}
NON_HTML_POLICY = {"default-src": ["'none'"], "frame-ancestors": ["'none'"]}
#: The technician app's service worker fetches (its own origin only): its own policy.
OWN_POLICIES = {
    "/tech/sw.js": {**NON_HTML_POLICY, "connect-src": ["'self'"]},
}
DENIED_FEATURES = ("camera", "microphone", "geolocation", "payment", "usb", "serial", "hid")
OTHER_HEADERS = {
    "Referrer-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
    "Cross-Origin-Opener-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


def policy_of(header: str) -> dict[str, list[str]]:
    """A policy header as {directive: sources} (django-csp writes directives in no set order)."""
    directives = {}
    for part in header.split(";"):
        name, *sources = part.split()
        directives[name] = sources
    return directives


def problems(path: str, response) -> list[str]:
    """What is missing or wrong in the security headers of one answer."""
    found = []
    media_type = response.get("Content-Type", "").split(";")[0]
    expected = {"text/html": PAGE_POLICY, "application/pdf": None}.get(media_type, NON_HTML_POLICY)
    expected = OWN_POLICIES.get(path, expected)
    policy = response.get("Content-Security-Policy")
    actual = policy_of(policy) if policy else None
    if actual != expected:
        found.append(f"{path} ({response.status_code} {media_type}): CSP {policy!r}")
    for name, value in OTHER_HEADERS.items():
        if response.get(name) != value:
            found.append(f"{path}: {name} {response.get(name)!r}")
    permissions = response.get("Permissions-Policy", "")
    missing = [f for f in DENIED_FEATURES if f"{f}=()" not in permissions.split(", ")]
    if missing:
        found.append(f"{path}: Permissions-Policy {permissions!r} allows {missing}")
    return found


def check_all(client, paths) -> list[str]:
    found = []
    for path in paths:
        found += problems(path, client.get(path))
    return found


def _route(pattern) -> str | None:
    """The literal path a URL pattern matches, or None if it takes parameters."""
    if isinstance(pattern, RoutePattern):
        return None if pattern.converters else str(pattern)
    text = pattern.regex.pattern.removeprefix("^").removesuffix("$").removesuffix(r"\Z")
    return None if re.search(r"[()\[\]?*+\\{}|.]", text) else text


def parameterless_paths(urlconf: str) -> list[str]:
    """Every route of a URL conf that takes no parameter; sign-outs last."""
    found = []

    def walk(patterns, prefix: str):
        for entry in patterns:
            piece = _route(entry.pattern)
            if piece is None:
                continue
            if isinstance(entry, URLResolver):
                walk(entry.url_patterns, prefix + piece)
            else:
                found.append(f"/{prefix}{piece}")

    walk(get_resolver(urlconf).url_patterns, "")
    return sorted(set(found), key=lambda path: ("logout" in path, path))


# --- Every page --------------------------------------------------------------------------------


@pytest.fixture
def records(in_tenant_a):
    """Tenant A: a customer with an invoice, a portal customer (jane) with one, CRM records."""
    owner = User.objects.get(username="owner")
    customer = make_customer("Ann Lee")
    jane = make_portal_customer("jane", "Jane Doe")
    return {
        "customer": customer.pk,
        "invoice": make_invoice(customer).pk,
        "jane_invoice": make_invoice(jane).pk,
        "account": AccountFactory(owner=owner).pk,
        "lead": LeadFactory(owner=owner).pk,
        "opportunity": OpportunityFactory(owner=owner, account=AccountFactory(owner=owner)).pk,
        "owner": owner.pk,
    }


def test_every_route_of_a_tenant_host_answers_with_the_security_headers(client_a, records):
    paths = parameterless_paths("dotmac.urls_tenant")
    r = records
    pages_of_records = [
        f"/isp/customers/{r['customer']}/",
        f"/isp/customers/{r['customer']}/edit/",
        f"/isp/customers/{r['customer']}/statement/",
        f"/isp/customers/{r['customer']}/services/new/",
        f"/isp/invoices/{r['invoice']}/",
        f"/isp/invoices/{r['invoice']}/print/",
        f"/isp/invoices/{r['invoice']}/pdf/",
        f"/crm/accounts/{r['account']}/",
        f"/crm/leads/{r['lead']}/",
        f"/crm/leads/{r['lead']}/convert/",
        f"/crm/opportunities/{r['opportunity']}/",
        f"/crm/opportunities/{r['opportunity']}/edit/",
        f"/admin/identity/user/{r['owner']}/change/",
        f"/admin/isp/customer/{r['customer']}/change/",
        f"/admin/isp/invoice/{r['invoice']}/change/",
        f"/admin/crm/account/{r['account']}/change/",
        f"/admin/crm/lead/{r['lead']}/history/",
        f"/api/v1/isp/customers/{r['customer']}/",
        f"/api/v1/crm/leads/{r['lead']}/",
    ]
    assert len(paths) > 100  # the walk found the routes
    client_a.sign_in()

    found = check_all(client_a, [*ISP_PAGES, *CRM_PAGES, *CRM_ADMIN_PAGES, *pages_of_records])
    found += check_all(client_a, paths)

    assert found == []


def test_the_portal_answers_with_the_security_headers(client_a, records):
    portal = sign_in(client_a, "jane")
    invoice = records["jane_invoice"]
    paths = ["/portal/", "/portal/invoices/", "/portal/payments/", "/portal/contact/",
             f"/portal/invoices/{invoice}/", f"/portal/invoices/{invoice}/pay/",
             f"/portal/invoices/{invoice}/pdf/", "/"]  # fmt: skip

    assert check_all(portal, paths) == []


def test_every_route_of_the_public_host_answers_with_the_security_headers(public_client):
    connection.set_schema_to_public()
    User.objects.create_superuser("csp-operator", "op@example.com", "op-password-1")
    paths = parameterless_paths("dotmac.urls_public")
    assert len(paths) > 50
    public_client.sign_in("csp-operator", "op-password-1")

    found = check_all(public_client, ["/admin/tenants/tenant/monitoring/", *paths])

    assert found == []


def test_pages_for_visitors_who_are_not_signed_in_answer_with_the_security_headers(
    client_a, public_client
):
    found = check_all(client_a, ["/", "/login/", "/password-reset/", "/isp/", "/admin/login/"])
    found += check_all(public_client, ["/", "/signup/", "/signup/check-slug/?slug=acme"])

    assert found == []


@pytest.mark.urls("tests.urls_tenant")  # its page that crashes
def test_error_pages_and_answers_before_routing_carry_the_security_headers(
    client_a, client_c, tenant_b, django_capture_on_commit_callbacks
):
    found = []
    for host in ("nobody.localhost", "evil.example.com"):  # routing's 404
        found += problems(host, HostClient(host).get("/"))
    found += check_all(client_a, ["/no-such-page/", "/api/v1/no-such-thing/", "/health/live",
                                  "/health/ready", "/metrics"])  # fmt: skip
    client_c.sign_in()
    upgrade = client_c.get("/isp/")  # tenant C has no ISP: the licence's upgrade page
    assert upgrade.status_code == 403
    found += problems("upgrade page", upgrade)
    strict = HostClient(client_a.host, enforce_csrf_checks=True)
    csrf = strict.post("/login/", {"username": "owner", "password": "x"})
    assert csrf.status_code == 403
    found += problems("CSRF failure", csrf)
    crash = HostClient(client_a.host, raise_request_exception=False).get("/test/page-crash/")
    assert crash.status_code == 500
    found += problems("500 page", crash)
    connection.set_schema_to_public()
    with django_capture_on_commit_callbacks(execute=True):
        tenants.tenant_suspend(tenant=tenant_b, reason="unpaid")
    suspended = HostClient(f"{TENANTS['b']}.{settings.BASE_DOMAIN}").get("/")
    connection.set_schema_to_public()
    with django_capture_on_commit_callbacks(execute=True):
        tenants.tenant_resume(tenant=tenant_b)
    assert suspended.status_code == 403
    found += problems("suspended tenant", suspended)

    assert found == []


def test_api_answers_get_the_policy_of_a_document_that_loads_nothing(client_a):
    api = HostClient(client_a.host).authenticate(obtain_tokens(client_a)["access"])

    for path in ("/api/v1/me/", "/api/v1/crm/leads/", "/api/schema/", "/api/docs/?script="):
        response = api.get(path)
        assert response.status_code == 200, path
        assert policy_of(response["Content-Security-Policy"]) == NON_HTML_POLICY, path
        assert problems(path, response) == []


def test_the_api_docs_are_a_page_under_the_page_policy(client_a):
    docs = client_a.get("/api/docs/")
    html = docs.content.decode()

    assert policy_of(docs["Content-Security-Policy"]) == PAGE_POLICY
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html
    assert '<script src="/api/docs/?script="></script>' in html  # its start-up, not inline
    assert "cdn." not in html


def test_a_pdf_has_no_policy_for_the_browser_viewer_but_the_other_headers(client_a, records):
    client_a.sign_in()

    response = client_a.get(f"/isp/invoices/{records['invoice']}/pdf/")

    assert response["Content-Type"] == "application/pdf"
    assert "Content-Security-Policy" not in response
    assert problems("pdf", response) == []


# --- The middleware's two paths -----------------------------------------------------------------


def through_the_middleware(response, *, use_nonce: bool = False):
    middleware = ContentSecurityPolicyMiddleware(lambda request: response)
    request = RequestFactory().get("/somewhere/")
    middleware.process_request(request)
    if use_nonce:
        str(request.csp_nonce)  # a template's {{ request.csp_nonce }}
    return middleware.process_response(request, response)


@pytest.mark.parametrize("make", [HttpResponse, lambda: JsonResponse({})], ids=["html", "json"])
def test_the_headers_built_once_are_django_csp_s_own(make):
    ours = through_the_middleware(make())["Content-Security-Policy"]
    theirs = make()
    theirs._csp_update = {}  # a policy of its own, however empty: django-csp's own path

    assert policy_of(ours) == policy_of(through_the_middleware(theirs)["Content-Security-Policy"])


def test_a_view_s_own_policy_and_a_nonce_take_django_csp_s_own_path():
    extended = HttpResponse()
    extended._csp_update = {"img-src": ["https://maps.example.com"]}  # what @csp_update sets

    assert "https://maps.example.com" in through_the_middleware(extended)["Content-Security-Policy"]
    with_nonce = through_the_middleware(HttpResponse(), use_nonce=True)
    assert "'nonce-" not in with_nonce["Content-Security-Policy"]  # the page policy takes none
    assert policy_of(with_nonce["Content-Security-Policy"]) == PAGE_POLICY


def test_an_exempted_response_and_debug_pages_get_no_policy(settings):
    exempt = HttpResponse()
    exempt._csp_exempt = True
    assert "Content-Security-Policy" not in through_the_middleware(exempt)

    settings.DEBUG = True
    assert "Content-Security-Policy" not in through_the_middleware(HttpResponse(status=500))
    assert "Content-Security-Policy" in through_the_middleware(HttpResponse(status=403))


def test_a_nonce_asked_for_after_the_header_is_written_is_an_error():
    request = RequestFactory().get("/")
    middleware = ContentSecurityPolicyMiddleware(lambda request: HttpResponse())
    middleware.process_request(request)
    middleware.process_response(request, HttpResponse())

    with pytest.raises(CSPNonceError):
        str(request.csp_nonce)


# --- HSTS --------------------------------------------------------------------------------------


def test_https_answers_pin_https_for_a_year_tenant_hosts_included(client_a, public_client):
    for client in (client_a, public_client):
        secure = client.get("/login/" if client is client_a else "/signup/", secure=True)
        assert secure["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


def test_plain_http_answers_carry_no_hsts(client_a):
    # Browsers ignore HSTS over http; sending it only over https is Django's (and the RFC's) rule.
    assert "Strict-Transport-Security" not in client_a.get("/login/")


# --- Templates ---------------------------------------------------------------------------------

TEMPLATE_DIRS = [
    Path(settings.BASE_DIR) / "templates",
    *(Path(settings.BASE_DIR) / "apps").glob("**/templates"),
]
SCRIPT = re.compile(r"<script\b([^>]*)>(.*?)</script\s*>", re.IGNORECASE | re.DOTALL)
HANDLER = re.compile(r"<[a-z][^>]*?\son[a-z]+\s*=", re.IGNORECASE)
INLINE_STYLE = re.compile(r"<style\b|<[a-z][^>]*?\sstyle\s*=", re.IGNORECASE)
JAVASCRIPT_URL = re.compile(r"javascript:", re.IGNORECASE)


def templates() -> list[Path]:
    return sorted(path for folder in TEMPLATE_DIRS for path in folder.rglob("*.html"))


def inline_code(text: str) -> list[str]:
    """What in a template the page policy would refuse: scripts with code in them (a script
    is a file, `src=`, or data, `type="application/json"`), on* handlers, javascript: URLs,
    <style> blocks and style attributes."""
    found = []
    for attributes, body in SCRIPT.findall(text):
        is_data = re.search(r"""type\s*=\s*["']application/json["']""", attributes)
        is_file = re.search(r"\ssrc\s*=", f" {attributes}") and not body.strip()
        if not (is_data or is_file):
            found.append(f"inline script <script{attributes}>")
    found += [f"handler {m.group(0)!r}" for m in HANDLER.finditer(text)]
    found += [f"style {m.group(0)!r}" for m in INLINE_STYLE.finditer(text)]
    found += [f"URL {m.group(0)!r}" for m in JAVASCRIPT_URL.finditer(text)]
    return found


def test_no_template_has_inline_script_handlers_javascript_urls_or_styles():
    found = {
        str(path.relative_to(settings.BASE_DIR)): problems
        for path in templates()
        if (problems := inline_code(path.read_text()))
    }

    assert len(templates()) > 60  # the scan reads the templates
    assert found == {}


@pytest.mark.parametrize(
    "snippet",
    [
        "<script>alert(1)</script>",
        '<script type="text/javascript">go()</script>',
        '<script src="/static/x.js">also()</script>',
        "<script></script>",
        '<button onclick="go()">',
        '<select name="owner" class="input" onchange="this.form.submit()">',
        '<a href="javascript:void(0)">',
        "<style>p { color: red }</style>",
        '<span class="bar" style="width: 40%">',
    ],
)
def test_the_scan_finds_each_kind_of_inline_code(snippet):
    assert inline_code(f"<p>{snippet}</p>")


@pytest.mark.parametrize(
    "snippet",
    [
        "<script src=\"{% static 'crm/board.js' %}\" defer></script>",
        '<script id="prep-poll" type="application/json">{"a": 1}</script>',
        '<form method="post" action="/logout/">',
        '<span class="score {% bar_width obj.score %}">',
        "<p>Pay online or by bank transfer.</p>",
    ],
)
def test_the_scan_lets_files_data_and_plain_markup_be(snippet):
    assert inline_code(snippet) == []


def test_python_code_writes_no_inline_script_or_style_into_pages():
    """format_html / mark_safe strings in our code (admin columns, icons) keep to it too."""
    markup = re.compile(r"<script\b|<style\b|\sstyle=\"|\son[a-z]+=\"|javascript:", re.I)
    found = [
        f"{path.relative_to(settings.BASE_DIR)}:{number}"
        for path in sorted((Path(settings.BASE_DIR) / "apps").rglob("*.py"))
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if markup.search(line)
    ]

    assert found == []


def test_a_bar_is_drawn_with_a_width_class_clamped_to_whole_percents():
    from apps.core.templatetags.kit import bar_width

    assert bar_width(37) == "bar-37"
    assert bar_width(1, 3) == "bar-33"
    assert bar_width(250, 100) == "bar-100"
    assert bar_width(-5) == "bar-0"
    assert bar_width(5, 0) == "bar-0"
    assert bar_width(None) == "bar-0"
    assert bar_width("nan") == "bar-0"
    css = (Path(settings.BASE_DIR) / "static" / "css" / "widths.css").read_text()
    assert all(f".bar-{n} {{ --bar: {n}%; }}" in css for n in range(101))
