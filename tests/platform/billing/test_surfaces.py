"""The bill's surfaces: the management API (platform staff only), the tenant's own API and
/billing/ pages (its super admin only, its own rows only: another tenant's id is a 404)."""

import datetime
import io
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django_tenants.utils import schema_context
from pypdf import PdfReader

from apps.platform.billing.models import Invoice, Payment
from apps.platform.billing.services import accounts, invoicing
from tests.conftest import PASSWORD, HostClient, obtain_tokens

User = get_user_model()
MAY_3, MAY_31 = datetime.date(2026, 5, 3), datetime.date(2026, 5, 31)
TENANT_API = ["/api/v1/billing/account/", "/api/v1/billing/invoices/",
              "/api/v1/billing/payments/", "/api/v1/billing/upcoming/"]  # fmt: skip
PLATFORM_API = ["/api/v1/platform/billing-accounts/", "/api/v1/platform/invoices/",
                "/api/v1/platform/payments/"]  # fmt: skip


def invoice_for(tenant, total="10.00") -> Invoice:
    account = accounts.account_ensure(tenant=tenant)
    line = invoicing.LineSpec(
        key=f"test:{tenant.slug}:{total}", kind="recurring", description="CRM Pro",
        period_start=MAY_3, period_end=MAY_31, amount=Decimal(total),
    )  # fmt: skip
    with transaction.atomic():
        invoice = invoicing.issue_immediate(account=account, today=MAY_3, specs=[line])
    Payment.objects.create(account=account, invoice=invoice, amount=invoice.total,
                           status="failed", failure_reason="Card declined",
                           attempted_at=invoice.created_at)  # fmt: skip
    return invoice


@pytest.fixture
def staff(db):
    connection.set_schema_to_public()
    User.objects.create_user("operator", "op@example.com", "op-password-123", is_staff=True)
    client = HostClient("localhost")
    return client.authenticate(obtain_tokens(client, "operator", "op-password-123")["access"])


@pytest.fixture
def owner_a(client_a):
    return client_a.authenticate(obtain_tokens(client_a)["access"])


@pytest.fixture
def clerk_a(tenant_a):
    with schema_context(tenant_a.schema_name):
        User.objects.create_user("clerk", password=PASSWORD)
    client = HostClient("tenant-a.localhost")
    return client.authenticate(obtain_tokens(client, "clerk")["access"])


@pytest.mark.parametrize("path", PLATFORM_API)
def test_platform_staff_see_every_tenants_bill(staff, tenant_a, tenant_b, path):
    invoice_for(tenant_a)
    invoice_for(tenant_b)

    response = staff.get(path)

    assert response.status_code == 200
    tenants = {row["attributes"]["tenant"] for row in response.json()["data"]}
    assert {"tenant-a", "tenant-b"} <= tenants


@pytest.mark.parametrize("path", PLATFORM_API)
def test_platform_api_refuses_non_staff_and_is_absent_on_tenant_hosts(public_client, owner_a,
                                                                      path):  # fmt: skip
    connection.set_schema_to_public()
    User.objects.create_user("someone", password="someone-pass-1")
    token = obtain_tokens(public_client, "someone", "someone-pass-1")["access"]

    assert HostClient("localhost").get(path).status_code == 401
    assert HostClient("localhost").authenticate(token).get(path).status_code == 403
    assert owner_a.get(path).status_code == 404


@pytest.mark.parametrize("path", TENANT_API)
def test_tenant_api_answers_its_super_admin_only(owner_a, clerk_a, client_b, path):
    assert owner_a.get(path).status_code == 200
    denied = clerk_a.get(path)
    assert denied.status_code == 403
    assert denied.json()["error"]["code"] == "PERMISSION_DENIED"
    assert HostClient("tenant-a.localhost").get(path).status_code == 401


@pytest.mark.parametrize("path", TENANT_API)
def test_tenant_api_is_absent_on_the_public_host(staff, path):
    assert staff.get(path).status_code == 404


def test_a_tenant_sees_only_its_own_invoices_and_payments(owner_a, tenant_a, tenant_b):
    mine = invoice_for(tenant_a, "12.00")
    theirs = invoice_for(tenant_b, "13.00")

    listed = owner_a.get("/api/v1/billing/invoices/").json()["data"]
    assert [row["id"] for row in listed] == [str(mine.pk)]
    assert owner_a.get(f"/api/v1/billing/invoices/{theirs.pk}/").status_code == 404
    assert owner_a.post_json(f"/api/v1/billing/invoices/{theirs.pk}/pay/").status_code == 404
    payments = owner_a.get("/api/v1/billing/payments/").json()["data"]
    assert {row["attributes"]["invoice"] for row in payments} == {mine.display_number}
    theirs_payment = Payment.objects.get(invoice=theirs)
    assert owner_a.get(f"/api/v1/billing/payments/{theirs_payment.pk}/").status_code == 404


def test_paying_an_invoice_with_a_bad_card_is_a_400_and_writes_nothing(owner_a, tenant_a):
    invoice = invoice_for(tenant_a)
    response = owner_a.post_json(f"/api/v1/billing/invoices/{invoice.pk}/pay/",
                                 {"card_number": "12"})  # fmt: skip
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "VALIDATION_ERROR"
    assert Payment.objects.filter(invoice=invoice).count() == 1  # the fixture's failed one


def test_the_super_admin_pays_an_open_invoice_over_the_api(owner_a, tenant_a):
    invoice = invoice_for(tenant_a)
    response = owner_a.post_json(f"/api/v1/billing/invoices/{invoice.pk}/pay/",
                                 {"card_number": "4242 4242 4242 4242"})  # fmt: skip
    assert response.status_code == 200, response.content
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.PAID
    again = owner_a.post_json(f"/api/v1/billing/invoices/{invoice.pk}/pay/")
    assert again.status_code == 409


def test_the_account_is_updated_by_its_super_admin(owner_a, tenant_a):
    response = owner_a.patch("/api/v1/billing/account/", {"email": "ap@a.example.com",
                             "tax_id": "DE123"}, content_type="application/json")  # fmt: skip
    assert response.status_code == 200, response.content
    assert response.json()["data"]["attributes"]["email"] == "ap@a.example.com"
    bad = owner_a.patch("/api/v1/billing/account/", {"email": "nope"},
                        content_type="application/json")  # fmt: skip
    assert bad.status_code == 400


# --- pages ------------------------------------------------------------------------------------


def test_billing_pages_are_the_super_admins(client_a, tenant_a, tenant_b):
    mine = invoice_for(tenant_a)
    theirs = invoice_for(tenant_b)
    assert client_a.get("/billing/").status_code == 302  # to sign in
    client_a.sign_in()

    home = client_a.get("/billing/")
    assert home.status_code == 200
    assert mine.display_number.encode() in home.content
    assert b"Pay now" in home.content
    assert theirs.display_number.encode() not in home.content
    assert client_a.get(f"/billing/invoices/{mine.pk}/").status_code == 200
    assert client_a.get(f"/billing/invoices/{theirs.pk}/").status_code == 404


def test_an_invoice_pdf_is_the_tenants_own_and_says_what_it_bills(client_a, tenant_a, tenant_b):
    account = accounts.account_ensure(tenant=tenant_a)
    account.tax_id, account.email = "GB 555 0101", "bills@tenant-a.example"
    account.save(update_fields=["tax_id", "email"])
    mine, theirs = invoice_for(tenant_a, "12.00"), invoice_for(tenant_b, "13.00")
    path = f"/billing/invoices/{mine.pk}.pdf"
    assert client_a.get(path).status_code == 302  # to sign in
    client_a.sign_in()

    response = client_a.get(path)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert f'filename="{mine.display_number}.pdf"' in response["Content-Disposition"]
    text = pdf_text(response.content)
    for expected in (mine.display_number, "GB 555 0101", "bills@tenant-a.example", "CRM Pro",
                     "12.00"):  # fmt: skip
        assert expected in text
    assert client_a.get(f"/billing/invoices/{theirs.pk}.pdf").status_code == 404


def test_the_console_downloads_any_tenants_invoice_pdf_with_the_permission_only(tenant_a):
    from tests.platform.billing.test_console import operator  # it imports this module

    invoice = invoice_for(tenant_a, "21.00")
    path = f"/admin/billing/invoice/{invoice.pk}/pdf/"
    viewer = operator("viewer", "view_invoice")
    response = viewer.get(path)
    assert response.status_code == 200
    assert "21.00" in pdf_text(response.content)
    assert operator("nobody").get(path).status_code == 403
    assert viewer.get("/admin/billing/invoice/999999/pdf/").status_code == 404


def pdf_text(content: bytes) -> str:
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def test_billing_pages_refuse_other_users(tenant_a, client_a):
    with schema_context(tenant_a.schema_name):
        User.objects.create_user("clerk", password=PASSWORD)
    signed_in = client_a.post("/login/", {"username": "clerk", "password": PASSWORD})
    assert signed_in.status_code == 302
    assert client_a.get("/billing/").status_code == 403


def test_paying_from_the_page_saves_the_card_and_pays(client_a, tenant_a):
    invoice = invoice_for(tenant_a)
    client_a.sign_in()
    bad = client_a.post("/billing/", {"card_number": "4000 0000 0000 0002"})
    assert bad.status_code == 400
    assert b"declined" in bad.content
    assert Payment.objects.filter(invoice=invoice, status="failed").count() == 2
    good = client_a.post("/billing/", {"card_number": "4242 4242 4242 4242"})
    assert good.status_code == 302
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.PAID
