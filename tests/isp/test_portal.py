"""The customer portal (/portal/) over HTTP: a customer user sees and pays their own invoices
only; another customer's or another tenant's invoice is a 404."""

import pytest
from django_tenants.utils import schema_context

from apps.isp.models import Customer, Invoice, Payment
from tests.isp.factories import CustomerFactory, active_service
from tests.isp.pages_data import (
    make_invoice,
    make_portal_customer,
    make_user,
    queries_of,
    sign_in,
)

GOOD_CARD = {"card_number": "4242 4242 4242 4242", "expiry": "12/30", "cvc": "123"}
DECLINED_CARD = {**GOOD_CARD, "card_number": "4000 0000 0000 0002"}


@pytest.fixture
def jane(in_tenant_a) -> Customer:
    """Jane's account, with an active service and its first (open) invoice."""
    customer = make_portal_customer("jane", "Jane Doe")
    active_service(customer=customer)
    customer.refresh_from_db()
    return customer


@pytest.fixture
def portal(client_a, jane):
    return sign_in(client_a, "jane")


def page(response) -> str:
    return response.content.decode()


def test_overview_shows_services_balance_and_what_to_pay(portal, jane):
    invoice = jane.invoices.get()

    html = page(portal.get("/portal/"))

    assert "Hello, Jane Doe" in html
    assert f'id="balance">{jane.balance} USD<' in html
    assert invoice.number in html
    assert f"/portal/invoices/{invoice.pk}/pay/" in html
    assert jane.services.get().plan.name in html


def test_invoice_list_and_detail_show_only_the_customers_own(portal, jane):
    other = CustomerFactory(name="Other Person")
    theirs = make_invoice(other)
    mine = jane.invoices.get()

    listing = page(portal.get("/portal/invoices/"))
    detail = page(portal.get(f"/portal/invoices/{mine.pk}/"))

    assert mine.number in listing
    assert theirs.number not in listing
    assert f"Invoice {mine.number}" in detail
    assert "Setup:" in detail
    assert f"/portal/invoices/{mine.pk}/pdf/" in detail


def test_another_customers_invoice_is_a_404_everywhere(portal, jane):
    theirs = make_invoice(CustomerFactory(name="Other Person"))

    for path in ("", "pdf/", "pay/"):
        assert portal.get(f"/portal/invoices/{theirs.pk}/{path}").status_code == 404
    assert portal.post(f"/portal/invoices/{theirs.pk}/pay/", GOOD_CARD).status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == Invoice.Status.OPEN


def test_another_tenants_invoice_is_a_404(client_b, tenant_b, jane):
    mine = jane.invoices.get()
    with schema_context(tenant_b.schema_name):
        make_portal_customer("bob", "Bob B")
    portal_b = sign_in(client_b, "bob")

    assert portal_b.get(f"/portal/invoices/{mine.pk}/").status_code == 404
    assert portal_b.get(f"/portal/invoices/{mine.pk}/pdf/").status_code == 404
    assert portal_b.post(f"/portal/invoices/{mine.pk}/pay/", GOOD_CARD).status_code == 404


def test_invoice_pdf_downloads_for_its_customer(portal, jane):
    invoice = jane.invoices.get()

    response = portal.get(f"/portal/invoices/{invoice.pk}/pdf/")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")


def test_paying_an_invoice_with_the_sandbox_card_settles_it(portal, jane):
    invoice = jane.invoices.get()
    form = page(portal.get(f"/portal/invoices/{invoice.pk}/pay/"))
    assert f"Pay {invoice.amount_due} USD" in form

    response = portal.post(f"/portal/invoices/{invoice.pk}/pay/", GOOD_CARD, follow=True)

    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.PAID
    html = page(response)
    assert f"Thank you: your payment of {invoice.total} USD was received." in html
    assert "Paid" in html
    payment = Payment.objects.get(customer=jane, status="succeeded")
    assert payment.method == "card"
    assert payment.actor == "jane"


def test_a_declined_card_shows_a_clear_error_and_the_invoice_stays_due(portal, jane):
    invoice = jane.invoices.get()

    response = portal.post(f"/portal/invoices/{invoice.pk}/pay/", DECLINED_CARD)

    assert response.status_code == 402
    assert "The card was declined" in page(response)
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.OPEN
    assert Payment.objects.get(customer=jane).status == "failed"
    assert "Failed" in page(portal.get("/portal/payments/"))


def test_a_malformed_card_form_is_refused_without_calling_the_gateway(portal, jane):
    invoice = jane.invoices.get()

    response = portal.post(
        f"/portal/invoices/{invoice.pk}/pay/", {"card_number": "12", "expiry": "13/99", "cvc": ""}
    )

    assert response.status_code == 400
    html = page(response)
    assert "Enter the card number" in html
    assert "Enter the expiry as MM/YY." in html
    assert not Payment.objects.exists()


def test_a_paid_invoice_has_nothing_to_pay(portal, jane):
    invoice = make_invoice(jane, paid=True)

    response = portal.get(f"/portal/invoices/{invoice.pk}/pay/", follow=True)

    assert f"Invoice {invoice.number} has nothing left to pay." in page(response)


def test_payment_history_lists_the_customers_payments(portal, jane):
    make_invoice(jane, paid=True)
    other = CustomerFactory(name="Other Person")
    make_invoice(other, paid=True)

    html = page(portal.get("/portal/payments/"))

    assert "Bank transfer" in html
    assert html.count("<tr>") == 2  # header and Jane's one payment


def test_customer_edits_contact_details_and_billing_address(portal, jane):
    form = page(portal.get("/portal/contact/"))
    assert 'value="jane@example.com"' in form

    response = portal.post(
        "/portal/contact/",
        {"email": "jane.doe@example.org", "phone": "+44 20 7946 0000",
         "billing_street": "4 Privet Drive", "billing_city": "Little Whinging",
         "billing_postcode": "RG12 9FG", "billing_country": "GB"},
        follow=True,
    )  # fmt: skip

    jane.refresh_from_db()
    assert jane.email == "jane.doe@example.org"
    assert jane.billing_street == "4 Privet Drive"
    assert "Your contact details were saved." in page(response)
    assert jane.timeline.filter(message__startswith="Details changed").exists()


def test_customer_cannot_change_other_fields_through_the_contact_form(portal, jane):
    portal.post(
        "/portal/contact/",
        {"email": jane.email, "name": "Evil Rename", "billing_day": "20", "balance": "0"},
    )

    jane.refresh_from_db()
    assert jane.name == "Jane Doe"
    assert jane.billing_day == 1


def test_invalid_contact_details_are_refused(portal, jane):
    response = portal.post("/portal/contact/", {"email": "nope", "phone": "call me"})

    assert response.status_code == 400
    assert "Enter a valid email address." in page(response)
    jane.refresh_from_db()
    assert jane.email == "jane@example.com"


def test_a_portal_user_without_a_customer_account_gets_a_friendly_page(client_a, in_tenant_a):
    make_user("newbie", "Customer")

    response = sign_in(client_a, "newbie").get("/portal/invoices/")

    assert response.status_code == 403
    assert "not linked to a customer account" in page(response)


def test_a_staff_user_without_portal_role_is_refused(client_a, in_tenant_a):
    make_user("sarah", "IT Manager")

    response = sign_in(client_a, "sarah").get("/portal/")

    assert response.status_code == 403
    assert "You don't have access to Customer portal" in page(response)


def test_portal_pages_send_anonymous_visitors_to_sign_in(client_a):
    response = client_a.get("/portal/")

    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_portal_lists_cost_the_same_queries_whatever_their_length(portal, jane):
    make_invoice(jane, paid=True)  # one row of each list to start with
    counts = {path: queries_of(portal, path) for path in ("/portal/", "/portal/invoices/",
                                                           "/portal/payments/")}  # fmt: skip
    for _ in range(6):
        make_invoice(jane)
        make_invoice(jane, paid=True)

    assert {path: queries_of(portal, path) for path in counts} == counts
