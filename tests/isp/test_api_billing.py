"""Invoices, credit notes and payments over the API: the generic resource checks, card payments
through the sandbox gateway, allocation, overpayment, refunds and statements (exact amounts)."""

import datetime
from decimal import Decimal

import pytest

from apps.isp.models import Invoice, Payment
from tests.isp.api_factories import (
    CreditNoteFactory,
    CustomerFactory,
    InvoiceFactory,
    PaymentFactory,
    ServiceFactory,
    adjustment,
)
from tests.resource_base import ResourceTests

pytestmark = pytest.mark.django_db
INVOICES = "/api/v1/isp/invoices/"
PAYMENTS = "/api/v1/isp/payments/"
GOOD_CARD = "4242 4242 4242 4242"
DECLINED_CARD = "4000 0000 0000 0002"


class TestInvoiceResource(ResourceTests):
    path = INVOICES
    resource_type = "invoice"
    factory = InvoiceFactory
    operations = {"list", "retrieve", "create"}  # corrected by credit notes, never edited

    def create_data(self):
        return {
            "customer": CustomerFactory().pk,
            "issue_date": "2026-03-05",
            "lines": [{"description": "Site survey", "amount": "120.00", "tax_rate": "20.00"}],
        }


class TestCreditNoteResource(ResourceTests):
    path = "/api/v1/isp/credit-notes/"
    resource_type = "credit_note"
    factory = CreditNoteFactory
    operations = {"list", "retrieve", "create"}

    def create_data(self):
        return {
            "customer": CustomerFactory().pk,
            "reason": "Outage on 3 March",
            "lines": [{"description": "Outage credit", "amount": "5.00"}],
        }


class TestPaymentResource(ResourceTests):
    path = PAYMENTS
    resource_type = "payment"
    factory = PaymentFactory
    operations = {"list", "retrieve", "create"}

    def create_data(self):
        return {
            "customer": CustomerFactory().pk,
            "amount": "25.00",
            "method": "cash",
            "reference": "Receipt 17",
        }


def attributes(response) -> dict:
    assert response.status_code < 400, response.content
    return response.json()["data"]["attributes"]


def test_invoice_shows_its_lines_and_money_as_strings(api_a, in_tenant_a):
    invoice = InvoiceFactory(lines=[adjustment("40.00"), adjustment("10.05", "Cable", "5.00")])

    shown = attributes(api_a.get(f"{INVOICES}{invoice.pk}/"))

    assert (shown["subtotal"], shown["tax_total"], shown["total"]) == ("50.05", "8.50", "58.55")
    assert (shown["amount_due"], shown["currency"], shown["status"]) == ("58.55", "USD", "open")
    assert [(line["amount"], line["tax_amount"]) for line in shown["lines"]] == [
        ("40.00", "8.00"),
        ("10.05", "0.50"),
    ]
    assert shown["number"].startswith("INV-")
    assert shown["is_overdue"] is False


def test_tax_rate_defaults_to_the_default_tax_class(api_a, in_tenant_a):
    customer = CustomerFactory()

    shown = attributes(
        api_a.post_json(
            INVOICES, {"customer": customer.pk, "lines": [{"description": "X", "amount": "10"}]}
        )
    )

    assert (shown["lines"][0]["tax_rate"], shown["total"]) == ("20.00", "12.00")


def test_a_line_for_another_customers_service_is_refused(api_a, in_tenant_a):
    service = ServiceFactory()
    other = CustomerFactory()

    response = api_a.post_json(
        INVOICES,
        {
            "customer": other.pk,
            "lines": [{"description": "X", "amount": "10.00", "service": service.pk}],
        },
    )

    assert response.status_code == 400
    assert response.json()["error"]["details"][0]["field"] == "lines.0.service"
    assert not Invoice.objects.filter(customer=other).exists()


def test_paying_with_the_sandbox_card_settles_the_invoice(api_a, in_tenant_a):
    invoice = InvoiceFactory()  # 40.00 + 8.00 tax

    response = api_a.post_json(f"{INVOICES}{invoice.pk}/pay/", {"card_number": GOOD_CARD})

    payment = response.json()["data"]
    assert response.status_code == 201
    assert payment["type"] == "payment"
    assert payment["attributes"]["amount"] == "48.00"
    assert (payment["attributes"]["method"], payment["attributes"]["status"]) == (
        "card",
        "succeeded",
    )
    assert payment["attributes"]["allocations"][0]["invoice_number"] == invoice.number
    assert payment["attributes"]["gateway_reference"].startswith("sbx_ch_")
    paid = attributes(api_a.get(f"{INVOICES}{invoice.pk}/"))
    assert (paid["status"], paid["amount_due"]) == ("paid", "0.00")
    balance = attributes(api_a.get(f"/api/v1/isp/customers/{invoice.customer_id}/"))["balance"]
    assert balance == "0.00"


def test_a_declined_card_is_a_clear_400_and_a_failed_payment_is_kept(api_a, in_tenant_a):
    invoice = InvoiceFactory()

    response = api_a.post_json(f"{INVOICES}{invoice.pk}/pay/", {"card_number": DECLINED_CARD})

    error = response.json()["error"]
    assert response.status_code == 400
    assert error["code"] == "VALIDATION_ERROR"
    assert "declined" in error["message"]
    assert invoice.number in error["message"]
    failed = api_a.get(f"{PAYMENTS}?status=failed&customer={invoice.customer_id}").json()["data"]
    assert [(p["attributes"]["amount"], p["attributes"]["failure_reason"]) for p in failed] == [
        ("48.00", "Card declined")
    ]
    still = attributes(api_a.get(f"{INVOICES}{invoice.pk}/"))
    assert (still["status"], still["amount_due"]) == ("open", "48.00")


def test_paying_a_paid_invoice_is_a_conflict(api_a, in_tenant_a):
    invoice = InvoiceFactory()
    api_a.post_json(f"{INVOICES}{invoice.pk}/pay/", {"card_number": GOOD_CARD})

    again = api_a.post_json(f"{INVOICES}{invoice.pk}/pay/", {"card_number": GOOD_CARD})

    assert again.status_code == 409
    assert again.json()["error"]["code"] == "CONFLICT"


def test_a_card_number_is_required(api_a, in_tenant_a):
    invoice = InvoiceFactory()

    response = api_a.post_json(f"{INVOICES}{invoice.pk}/pay/", {})

    assert response.status_code == 400
    assert response.json()["error"]["details"][0]["field"] == "card_number"


def test_payment_settles_the_oldest_invoices_first_and_keeps_the_rest_as_credit(api_a, in_tenant_a):
    customer = CustomerFactory()
    older = InvoiceFactory(customer=customer, issue_date=datetime.date(2026, 1, 5))
    newer = InvoiceFactory(customer=customer, issue_date=datetime.date(2026, 2, 5))

    first = attributes(
        api_a.post_json(
            PAYMENTS, {"customer": customer.pk, "amount": "60.00", "method": "bank_transfer"}
        )
    )
    second = attributes(
        api_a.post_json(PAYMENTS, {"customer": customer.pk, "amount": "50.00", "method": "cash"})
    )

    assert [(a["invoice_number"], a["amount"]) for a in first["allocations"]] == [
        (older.number, "48.00"),
        (newer.number, "12.00"),
    ]
    assert [(a["invoice_number"], a["amount"]) for a in second["allocations"]] == [
        (newer.number, "36.00")
    ]
    assert second["amount_unallocated"] == "14.00"
    account = attributes(api_a.get(f"/api/v1/isp/customers/{customer.pk}/"))
    assert account["balance"] == "-14.00"


def test_refunding_credit_and_not_more(api_a, in_tenant_a):
    customer = CustomerFactory()
    InvoiceFactory(customer=customer)  # 48.00
    payment = PaymentFactory(customer=customer, amount=Decimal("60.00"))  # 12.00 credit
    path = f"{PAYMENTS}{payment.pk}/refund/"

    too_much = api_a.post_json(path, {"amount": "12.01", "reason": "Moving away"})
    refunded = api_a.post_json(path, {"amount": "12.00", "reason": "Moving away"})

    assert too_much.status_code == 400
    shown = attributes(refunded)
    assert refunded.status_code == 201
    assert (shown["amount_refunded"], shown["amount_unallocated"]) == ("12.00", "0.00")
    assert [(r["amount"], r["reason"]) for r in shown["refunds"]] == [("12.00", "Moving away")]
    account = attributes(api_a.get(f"/api/v1/isp/customers/{customer.pk}/"))
    assert account["balance"] == "0.00"


def test_a_float_amount_is_never_taken_as_money(api_a, in_tenant_a):
    customer = CustomerFactory()

    response = api_a.post_json(
        PAYMENTS, {"customer": customer.pk, "amount": "10.005", "method": "cash"}
    )

    assert response.status_code == 400
    assert not Payment.objects.filter(customer=customer).exists()


def test_a_full_credit_note_on_an_invoice_voids_it(api_a, in_tenant_a):
    invoice = InvoiceFactory()

    note = attributes(
        api_a.post_json(
            "/api/v1/isp/credit-notes/",
            {
                "customer": invoice.customer_id,
                "invoice": invoice.pk,
                "reason": "Issued in error",
                "lines": [{"description": "Router", "amount": "40.00", "tax_rate": "20.00"}],
            },
        )
    )

    assert (note["total"], note["amount_unapplied"], note["invoice_number"]) == (
        "48.00",
        "0.00",
        invoice.number,
    )
    assert attributes(api_a.get(f"{INVOICES}{invoice.pk}/"))["status"] == "void"


def test_a_credit_note_for_another_customers_invoice_is_refused(api_a, in_tenant_a):
    invoice = InvoiceFactory()

    response = api_a.post_json(
        "/api/v1/isp/credit-notes/",
        {
            "customer": CustomerFactory().pk,
            "invoice": invoice.pk,
            "reason": "x",
            "lines": [{"description": "x", "amount": "1.00"}],
        },
    )

    assert response.status_code == 400
    assert response.json()["error"]["details"][0]["field"] == "invoice"


def test_invoice_filters_search_and_ordering(api_a, in_tenant_a):
    customer = CustomerFactory(name="Overdue Olga")
    late = InvoiceFactory(customer=customer, issue_date=datetime.date(2025, 1, 1))
    recent = InvoiceFactory()
    paid = InvoiceFactory()
    api_a.post_json(f"{INVOICES}{paid.pk}/pay/", {"card_number": GOOD_CARD})

    def numbers(query):
        response = api_a.get(f"{INVOICES}?{query}")
        assert response.status_code == 200, response.content
        return [row["attributes"]["number"] for row in response.json()["data"]]

    assert numbers("overdue=true") == [late.number]
    assert numbers("status=paid") == [paid.number]
    assert numbers(f"search={late.number}") == [late.number]
    assert numbers("search=olga") == [late.number]
    assert numbers("issued_before=2025-12-31") == [late.number]
    assert numbers(f"customer={recent.customer_id}") == [recent.number]
    assert numbers("ordering=issue_date")[0] == late.number
    shown = api_a.get(f"{INVOICES}{late.pk}/").json()["data"]["attributes"]
    assert shown["is_overdue"] is True


def test_overdue_customers_filter(api_a, in_tenant_a):
    late = CustomerFactory()
    InvoiceFactory(customer=late, issue_date=datetime.date(2025, 1, 1))
    InvoiceFactory()

    rows = api_a.get("/api/v1/isp/customers/?overdue=true").json()["data"]

    assert [row["id"] for row in rows] == [str(late.pk)]


def test_statement_lists_movements_with_running_balance(api_a, in_tenant_a):
    customer = CustomerFactory()
    InvoiceFactory(customer=customer, issue_date=datetime.date(2026, 1, 10))  # 48.00
    InvoiceFactory(customer=customer, issue_date=datetime.date(2026, 2, 10))  # 48.00
    PaymentFactory(
        customer=customer, amount=Decimal("30.00"), received_on=datetime.date(2026, 2, 20)
    )

    response = api_a.get(
        f"/api/v1/isp/customers/{customer.pk}/statement/?start=2026-02-01&end=2026-02-28"
    )

    statement = response.json()["data"]
    assert response.status_code == 200
    assert statement["type"] == "statement"
    shown = statement["attributes"]
    assert (shown["opening_balance"], shown["closing_balance"]) == ("48.00", "66.00")
    assert [(e["kind"], e["debit"], e["credit"], e["balance"]) for e in shown["entries"]] == [
        ("invoice", "48.00", "0.00", "96.00"),
        ("payment", "0.00", "30.00", "66.00"),
    ]
    assert shown["currency"] == "USD"
    reversed_dates = api_a.get(
        f"/api/v1/isp/customers/{customer.pk}/statement/?start=2026-03-01&end=2026-02-01"
    )
    assert reversed_dates.status_code == 400
