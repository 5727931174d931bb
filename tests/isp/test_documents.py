"""Invoice documents: the printable HTML and the PDF show the company, the customer's billing
address, the lines, the taxes per rate, the totals and what remains due."""

import io
from datetime import date

import pytest
from django.contrib.staticfiles import finders
from django_tenants.utils import schema_context
from pypdf import PdfReader

from apps.isp.documents import invoice_html, invoice_pdf
from apps.isp.models import BillingSettings
from tests.isp.pages_data import make_customer, make_invoice


@pytest.fixture
def invoice(tenant_a):
    with schema_context(tenant_a.schema_name):
        BillingSettings.objects.filter(id=1).update(
            company_name="Springfield Fibre Ltd",
            company_address="742 Evergreen Terrace\nSpringfield",
            company_tax_id="GB123456789",
        )
        customer = make_customer(
            "Acme Widgets",
            kind="business",
            company_registration="0987654",
            billing_street="1 Acme Way",
            billing_city="Boston",
            billing_postcode="02110",
            billing_country="US",
        )
        yield make_invoice(
            customer,
            issue_date=date(2026, 3, 1),
            lines=[("Fibre 500, March 2026", "45.00", "20.00"), ("Static IP", "5.00", "5.00")],
        )


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def test_the_pdf_is_a_real_pdf_with_the_invoices_facts(invoice):
    data = invoice_pdf(invoice)

    assert data.startswith(b"%PDF-")
    assert data.rstrip().endswith(b"%%EOF")
    text = pdf_text(data)
    assert invoice.number in text
    assert "Springfield Fibre Ltd" in text
    assert "742 Evergreen Terrace" in text
    assert "GB123456789" in text
    assert "Acme Widgets" in text
    assert "1 Acme Way" in text
    assert "02110 Boston" in text
    assert "Fibre 500, March 2026" in text
    assert "Tax 20.00% on 45.00" in text
    assert "Tax 5.00% on 5.00" in text
    assert "59.25 USD" in text  # 50.00 net + 9.00 + 0.25 tax, all still due
    assert "Please pay 59.25 USD by 15 Mar 2026" in text


def test_the_pdf_has_the_invoice_as_its_title(invoice):
    reader = PdfReader(io.BytesIO(invoice_pdf(invoice)))

    assert reader.metadata.title == f"Invoice {invoice.number}"


def test_the_html_document_has_the_same_facts(invoice):
    html = invoice_html(invoice)

    assert f"<title>Invoice {invoice.number} · Springfield Fibre Ltd</title>" in html
    assert "1 Acme Way" in html
    assert "Reg. 0987654" in html
    assert "Tax 5.00% on 5.00" in html
    assert "59.25 USD" in html
    # Its print rules are in its stylesheet (the Content-Security-Policy applies no <style>).
    assert '<link rel="stylesheet" href="/static/isp/invoice.css">' in html
    with open(finders.find("isp/invoice.css")) as stylesheet:
        assert "@media print" in stylesheet.read()


def test_a_settled_invoice_says_so(tenant_a):
    with schema_context(tenant_a.schema_name):
        invoice = make_invoice(make_customer("Ann Lee"), paid=True)

        text = pdf_text(invoice_pdf(invoice))

    assert "This invoice is settled. Thank you." in text
    assert "Paid and credited" in text
