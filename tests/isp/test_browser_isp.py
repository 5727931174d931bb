"""The main ISP flows in real headless Chromium against gunicorn: staff opens an account and
switches a service on; a customer pays an invoice in the portal. The server sees committed rows
only, so the data is made through the pages or committed, and removed afterwards.

They run on tenant B: what cannot be removed (audit entries are immutable) then never meets
the tests of tenant A, which count them; the numbering sequences are put back as they were."""

import re

import pytest
from django_tenants.utils import schema_context

from tests.committed import committed

pytestmark = pytest.mark.slow

SLUG, SCHEMA = "tenant-b", "tenant_b"


def _in_tenant(fn):
    def run(*args, **kwargs):
        with schema_context(SCHEMA):
            return fn(*args, **kwargs)

    return run


@_in_tenant
def _plan(name: str, code: str):
    from apps.isp.services.plans import plan_create
    from tests.isp.factories import default_tax_class

    return plan_create(
        code=code,
        name=name,
        download_mbps=300,
        upload_mbps=50,
        price="35.00",
        setup_fee="25.00",
        tax_class=default_tax_class(),
    ).pk


@_in_tenant
def _portal_customer_with_an_open_invoice(username: str) -> tuple[int, int]:
    from tests.isp.factories import active_service
    from tests.isp.pages_data import make_portal_customer

    customer = make_portal_customer(username, "Brenda Browser")
    service = active_service(customer=customer)
    return customer.pk, service.plan_id


@_in_tenant
def _sequences() -> dict[str, int]:
    from apps.isp.models import DocumentSequence

    return dict(DocumentSequence.objects.values_list("key", "next_number"))


@_in_tenant
def _purge(*, customer_emails=(), plan_ids=(), usernames=(), sequences=None):
    """Remove what a browser test committed (children first: the billing tables protect)."""
    from apps.identity.models import User
    from apps.isp.models import (
        Allocation,
        CreditNote,
        Customer,
        DunningNotice,
        Invoice,
        Payment,
        Refund,
        Service,
        ServicePlan,
        ServicePlanChange,
    )

    customers = Customer.objects.filter(email__in=customer_emails)
    Allocation.objects.filter(invoice__customer__in=customers).delete()
    Refund.objects.filter(payment__customer__in=customers).delete()
    DunningNotice.objects.filter(customer__in=customers).delete()
    Payment.objects.filter(customer__in=customers).delete()
    CreditNote.objects.filter(customer__in=customers).delete()
    Invoice.objects.filter(customer__in=customers).delete()
    ServicePlanChange.objects.filter(service__customer__in=customers).delete()
    Service.objects.filter(customer__in=customers).delete()
    customers.delete()
    ServicePlan.objects.filter(pk__in=plan_ids).delete()
    User.objects.filter(username__in=usernames).delete()
    from apps.isp.models import DocumentSequence

    for key, next_number in (sequences or {}).items():
        DocumentSequence.objects.filter(key=key).update(next_number=next_number)
    DocumentSequence.objects.exclude(key__in=list(sequences or {})).delete()


@_in_tenant
def _invoice_of(email: str):
    from apps.isp.models import Invoice

    return Invoice.objects.filter(customer__email=email).values_list("number", "status").get()


def test_staff_creates_a_customer_adds_and_activates_a_service_and_sees_the_invoice(tenant_page):
    email = "browser.customer@example.com"
    sequences = committed(_sequences)
    plan_id = committed(_plan, "Browser Fibre 300", "browser-fibre-300")
    try:
        tab = tenant_page(SLUG).sign_in()
        page = tab.page
        tab.goto("/isp/customers/")
        page.click("text=New customer")
        page.select_option("#id_kind", "business")
        page.fill("#id_name", "Browser Widgets Ltd")
        page.fill("#id_email", email)
        page.fill("#id_phone", "+44 20 7946 0111")
        page.fill("#id_service_street", "5 Chromium Close")
        page.fill("#id_service_city", "Leeds")
        with page.expect_navigation():
            page.click("button:has-text('Create customer')")
        assert "created." in page.inner_text(".messages")
        assert re.search(r"/isp/customers/\d+/$", page.url)

        with page.expect_navigation():
            page.click(".actions >> text=Add service")
        page.select_option("#id_plan", label="Browser Fibre 300")
        assert page.input_value("#id_install_street") == "5 Chromium Close"
        with page.expect_navigation():
            page.click("button:has-text('Add service')")
        assert "ordered (pending)" in page.inner_text(".messages")

        with page.expect_navigation():
            page.click("#services button:has-text('Activate')")
        number, status = _invoice_of(email)
        assert f"Invoice {number} issued." in page.inner_text(".messages")
        assert page.is_visible(f"#invoices >> text={number}")
        assert "Active" in page.inner_text("#services")

        with page.expect_navigation():
            page.click(f"#invoices >> text={number}")
        assert "Setup: Browser Fibre 300" in page.inner_text("table.lines")
        assert status == "open"
    finally:
        committed(_purge, customer_emails=[email], plan_ids=[plan_id], sequences=sequences)


def test_customer_pays_an_open_invoice_in_the_portal_with_the_sandbox_card(tenant_page):
    username = "brenda"
    sequences = committed(_sequences)
    _, plan_id = committed(_portal_customer_with_an_open_invoice, username)
    try:
        tab = tenant_page(SLUG).sign_in(username)
        page = tab.page
        tab.goto("/portal/")
        assert "Hello, Brenda Browser" in page.inner_text("h1")
        number, status = _invoice_of(f"{username}@example.com")
        assert status == "open"
        assert page.is_visible(f"#open-invoices >> text={number}")

        with page.expect_navigation():
            page.click("#open-invoices >> text=Pay now")
        page.fill("#id_card_number", "4242 4242 4242 4242")
        page.fill("#id_expiry", "12/30")
        page.fill("#id_cvc", "123")
        with page.expect_navigation():
            page.click("#pay-submit")

        assert "Thank you: your payment of" in page.inner_text(".messages")
        assert "Paid" in page.inner_text("h1")
        assert _invoice_of(f"{username}@example.com")[1] == "paid"
        tab.goto("/portal/payments/")
        assert "Card" in page.inner_text("#payments")
        assert "Succeeded" in page.inner_text("#payments")
    finally:
        committed(
            _purge,
            customer_emails=[f"{username}@example.com"],
            plan_ids=[plan_id],
            usernames=[username],
            sequences=sequences,
        )
