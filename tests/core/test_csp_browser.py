"""The pages under their Content-Security-Policy in real headless Chromium (gunicorn): the
policy refuses inline code, and every page's own JavaScript still works from its static files.

Every browser test fails on any policy violation a page reports (tests/conftest.py's
`_browser_tabs`): here the main pages are opened and their scripts exercised — the signup's
live address check, the provisioning page's polling, the pipeline's owner filter, the invoice's
Print button, the API docs, Django admin's change forms, widgets, actions and popups, and the
console's bars (widths from classes, not style attributes). The board's drag and drop and the
ISP flows are the other browser tests', under the same watch.
"""

import pytest
from django.db import connection
from django_tenants.utils import schema_context

from apps.platform.tenants.models import Tenant
from apps.platform.tenants.views import status_token
from tests.committed import committed
from tests.isp.test_browser_isp import (
    SCHEMA,
    SLUG,
    _portal_customer_with_an_open_invoice,
    _purge,
    _sequences,
)

pytestmark = [pytest.mark.slow, pytest.mark.django_db]


def test_the_policy_refuses_inline_script_and_the_watch_reports_it(tenant_page):
    tab = tenant_page()
    tab.goto("/login/")

    tab.page.evaluate(
        """() => {
        const script = document.createElement("script");
        script.textContent = "window.inlineRan = true";
        document.body.append(script);
        const span = document.createElement("span");
        span.setAttribute("style", "color: red");
        document.body.append(span);
    }"""
    )
    tab.page.wait_for_function("() => document.readyState === 'complete'")
    tab.page.wait_for_timeout(200)  # violations are reported asynchronously

    assert tab.page.evaluate("window.inlineRan") is None
    assert any("script-src" in seen for seen in tab.violations), tab.violations
    assert any("style-src" in seen for seen in tab.violations), tab.violations
    tab.violations.clear()  # seen on purpose: the watch itself is what this test checks


def test_the_main_pages_run_their_scripts_under_the_policy(tenant_page):
    tab = tenant_page().sign_in()
    page = tab.page

    for path in ("/", "/isp/", "/isp/customers/", "/isp/invoices/", "/isp/plans/",
                 "/isp/billing-runs/", "/portal/", "/crm/", "/crm/accounts/", "/crm/leads/",
                 "/crm/reports/", "/crm/tasks/", "/admin/"):  # fmt: skip
        response = tab.goto(path)
        assert response.status in (200, 403), path  # 403: the owner has no portal account
        assert "script-src 'self'" in response.headers["content-security-policy"], path

    tab.goto("/crm/pipeline/")
    with page.expect_navigation():
        page.select_option("select[name=owner]", "me")  # the owner filter submits on change
    assert page.url.endswith("?owner=me")
    assert page.locator("select[name=owner]").input_value() == "me"

    tab.goto("/api/docs/")  # Swagger UI from the sidecar's files, started by ?script
    page.wait_for_selector(".swagger-ui .info .title:has-text('DotMac API')")
    page.wait_for_selector(".opblock")
    assert page.locator(".opblock").count() >= 5  # the operations, drawn from /api/schema/
    assert tab.violations == []


@pytest.mark.usefixtures("tenant_b")
def test_the_invoice_print_button_prints_and_the_customer_pages_work(tenant_page):
    username = "csp-brenda"
    sequences = committed(_sequences)
    customer_id, plan_id = committed(_portal_customer_with_an_open_invoice, username)
    with schema_context(SCHEMA):
        from apps.isp.models import Invoice

        invoice_id = Invoice.objects.get(customer_id=customer_id).pk
    try:
        tab = tenant_page(SLUG).sign_in()
        page = tab.page
        tab.goto(f"/isp/customers/{customer_id}/")
        assert page.is_visible("#invoices")
        tab.goto(f"/isp/invoices/{invoice_id}/")

        page.add_init_script("window.print = () => { window.printed = true; };")
        tab.goto(f"/isp/invoices/{invoice_id}/print/")
        button = page.locator("button[data-print]")
        assert button.is_visible()  # print.js shows it
        button.click()
        assert page.evaluate("window.printed") is True
        # The stylesheet that replaced the inline <style> is applied, print rules included.
        assert page.evaluate("getComputedStyle(document.querySelector('.sheet')).maxWidth") == (
            "800px"
        )
        page.emulate_media(media="print")
        assert page.evaluate("getComputedStyle(document.querySelector('.print')).display") == (
            "none"
        )

        portal = tenant_page(SLUG).sign_in(username)
        for path in ("/portal/", "/portal/invoices/", f"/portal/invoices/{invoice_id}/",
                     f"/portal/invoices/{invoice_id}/pay/", "/portal/contact/"):  # fmt: skip
            assert portal.goto(path).status == 200, path
    finally:
        committed(
            _purge,
            customer_emails=[f"{username}@example.com"],
            plan_ids=[plan_id],
            usernames=[username],
            sequences=sequences,
        )


def test_signup_checks_the_workspace_address_live_under_the_policy(public_page):
    tab = public_page()
    tab.goto("/signup/")
    page = tab.page

    page.fill("#id_name", "Csp Browser Works")
    assert page.input_value("#id_slug") == "csp-browser-works"  # suggested from the name
    page.wait_for_selector("#slug-state.ok:has-text('Available')")
    assert page.inner_text("#slug-host") == "csp-browser-works.localhost"

    page.fill("#id_slug", "tenant-a")
    page.wait_for_selector("#slug-state.bad")
    page.fill("#id_admin_password", "one-long-password")
    page.fill("#id_admin_password_confirm", "another-password")
    assert page.evaluate(
        "document.getElementById('id_admin_password_confirm').validity.customError"
    )
    assert tab.violations == []


def _pending_tenant(slug: str) -> int:
    connection.set_schema_to_public()
    return Tenant.objects.create(
        name="Csp Preparing", slug=slug, schema_name=slug.replace("-", "_"),
        status=Tenant.Status.PENDING, admin_username="boss",
    ).pk  # fmt: skip


def _set_status(pk: int, status: str) -> None:
    connection.set_schema_to_public()
    Tenant.objects.filter(pk=pk).update(status=status)


def _remove_tenant(pk: int) -> None:
    connection.set_schema_to_public()
    Tenant.objects.filter(pk=pk).delete()


def test_the_preparation_page_follows_the_status_live_under_the_policy(public_page):
    pk = committed(_pending_tenant, "csp-preparing")
    try:
        tenant = Tenant.objects.get(pk=pk)
        tab = public_page()
        tab.goto(f"/signup/{tenant.slug}/preparing/?t={status_token(tenant)}")
        page = tab.page
        assert page.is_hidden("#prep-ready")
        start = page.evaluate("getComputedStyle(document.getElementById('prep-bar')).width")

        committed(_set_status, pk, Tenant.Status.ACTIVE)
        page.wait_for_selector("#prep-ready", state="visible")  # preparing.js polled

        assert page.locator("#prep-username").inner_text() == "boss"
        assert page.evaluate(
            "getComputedStyle(document.getElementById('prep-bar')).getPropertyValue('--bar')"
        ).strip() in ("100%", "100.0%")
        assert start != page.evaluate("getComputedStyle(document.getElementById('prep-bar')).width")
    finally:
        committed(_remove_tenant, pk)


def test_django_admin_forms_widgets_and_actions_work_under_the_policy(tenant_page):
    tab = tenant_page().sign_in()
    page = tab.page

    tab.goto("/admin/identity/user/")  # actions: the selection counter is actions.js
    page.locator("input.action-select").first.check()
    assert page.locator(".action-counter").inner_text().startswith("1 of")

    tab.goto("/admin/identity/role/add/")  # filter_horizontal: SelectFilter2.js
    page.wait_for_selector("#id_permissions_from")
    page.locator("#id_permissions_from option").first.dblclick()
    assert page.locator("#id_permissions_to option").count() == 1

    tab.goto("/admin/crm/opportunity/add/")
    page.click(".datetimeshortcuts a:has-text('Today')")  # DateTimeShortcuts.js
    assert page.input_value("#id_expected_close_date") != ""
    page.click("#id_owner + .select2 .select2-selection")  # autocomplete: jQuery + select2
    page.fill(".select2-search__field", "own")
    page.wait_for_selector(".select2-results__option:has-text('owner')")
    page.keyboard.press("Enter")
    assert "owner" in page.inner_text("#id_owner + .select2")

    tab.goto("/admin/crm/opportunity/")  # date hierarchy, filters
    assert page.is_visible("#changelist-filter")
    assert tab.violations == []


def _tax_class_gone(code: str) -> None:
    with schema_context(SCHEMA):
        from apps.isp.models import TaxClass

        TaxClass.objects.filter(code=code).delete()


def test_an_admin_popup_adds_a_related_record_and_hands_it_back(tenant_page):
    """Tenant B: what the popup saves leaves audit entries, which tenant A's tests count."""
    code = "csp-popup"
    try:
        tab = tenant_page(SLUG).sign_in()
        page = tab.page
        tab.goto("/admin/isp/serviceplan/add/")

        with page.expect_popup() as popup_info:
            page.click("#add_id_tax_class")  # RelatedObjectLookups.js opens the popup
        popup = popup_info.value
        popup.wait_for_load_state()
        popup.fill("#id_code", code)
        popup.fill("#id_name", "CSP popup rate")
        popup.fill("#id_rate", "7.00")
        with popup.expect_event("close"):  # popup_response.js hands the new row back
            popup.click("input[name=_save]")

        selected = page.locator("#id_tax_class option:checked").inner_text()
        assert "CSP popup rate" in selected
        assert tab.violations == []
    finally:
        committed(_tax_class_gone, code)


def _operator(create: bool) -> None:
    from apps.identity.models import User, UserSession

    connection.set_schema_to_public()
    users = User.objects.filter(username="csp-operator")
    UserSession.objects.filter(user__in=users).delete()
    # Without the collector: it would look for the rows of tenant tables (a CRM account's
    # owner), which the public schema has not.
    users._raw_delete(users.db)
    if create:
        User.objects.create_superuser("csp-operator", "op@example.com", "op-password-1")


def test_the_console_monitoring_draws_its_bars_from_width_classes(public_page):
    committed(_operator, True)
    try:
        tab = public_page()
        tab.goto("/admin/login/")
        tab.page.fill("#id_username", "csp-operator")
        tab.page.fill("#id_password", "op-password-1")
        with tab.page.expect_navigation():
            tab.page.press("#id_password", "Enter")
        tab.goto("/admin/tenants/tenant/monitoring/")

        bars = tab.page.evaluate(
            """() => [...document.querySelectorAll('[class*="bar-"]')].map((el) => {
                const percent = /\\bbar-(\\d+)\\b/.exec(el.className)[1];
                const style = getComputedStyle(el);
                return {percent, bar: style.getPropertyValue('--bar').trim(),
                        width: el.getBoundingClientRect().width,
                        track: el.parentElement.getBoundingClientRect().width};
            })"""
        )
        assert len(bars) >= 3  # usage lines, MRR by plan, subscriptions by status
        assert all(bar["bar"] == f"{bar['percent']}%" for bar in bars), bars
        full = [bar for bar in bars if bar["percent"] == "100"]
        assert full
        assert all(abs(bar["width"] - bar["track"]) < 1 for bar in full), full
        assert tab.violations == []
    finally:
        committed(_operator, False)
