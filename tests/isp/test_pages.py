"""The /isp/ staff pages over HTTP: real data on each page, who may open them, tenant
isolation, and lists whose query count does not grow with their length."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from apps.isp.models import BillingRun, Customer, Service, TimelineEvent
from apps.platform.licensing import services as licensing
from apps.platform.licensing.entitlements import invalidate
from apps.platform.licensing.models import Subscription
from tests.isp.pages_data import (
    make_customer,
    make_invoice,
    make_payment,
    make_plan,
    make_service,
    make_user,
    queries_of,
    sign_in,
)


@pytest.fixture
def staff_a(client_a):
    return client_a.sign_in()


def page(response) -> str:
    return response.content.decode()


# --- Access ------------------------------------------------------------------------------------


STAFF_PATHS = ["/isp/", "/isp/customers/", "/isp/customers/new/", "/isp/invoices/", "/isp/plans/",
               "/isp/billing-runs/"]  # fmt: skip


@pytest.mark.parametrize("path", STAFF_PATHS)
def test_staff_pages_send_an_anonymous_visitor_to_sign_in(client_a, path):
    response = client_a.get(path)

    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=")


@pytest.mark.parametrize("path", STAFF_PATHS)
def test_a_user_without_an_isp_role_gets_the_no_access_page(client_a, in_tenant_a, path):
    make_user("mike", "Sales Rep")

    response = sign_in(client_a, "mike").get(path)

    assert response.status_code == 403
    assert "You don't have access to ISP Framework" in page(response)


def test_a_portal_only_user_is_refused_the_staff_pages(client_a, in_tenant_a):
    make_user("jane", "Customer")
    sign_in(client_a, "jane")

    assert client_a.get("/isp/customers/").status_code == 403
    assert client_a.get("/isp/").status_code == 403


def test_an_it_manager_opens_the_staff_pages(client_a, in_tenant_a):
    make_user("sarah", "IT Manager")

    response = sign_in(client_a, "sarah").get("/isp/")

    assert response.status_code == 200
    assert "Active subscribers" in page(response)


def test_a_tenant_without_isp_gets_the_upgrade_page(client_b):
    client_b.sign_in()
    Subscription.objects.filter(tenant__slug="tenant-b", app__key="isp").update(status="cancelled")
    invalidate()

    response = client_b.get("/isp/customers/")

    assert response.status_code == 403
    assert "Upgrade to access ISP Framework" in page(response)
    assert client_b.get("/portal/").status_code == 403


# --- Dashboard ---------------------------------------------------------------------------------


def test_dashboard_shows_subscribers_mrr_arpu_overdue_and_churn(staff_a, in_tenant_a):
    today = timezone.localdate()
    monthly = make_plan("Fibre 100", "30.00")
    yearly = make_plan("Fibre 1G yearly", "600.00", billing_period="yearly")
    ann, bob, cy = make_customer("Ann Lee"), make_customer("Bob Ray"), make_customer("Cy Gone")
    make_service(ann, monthly)
    make_service(bob, yearly)  # 50.00 a month
    make_service(
        cy, monthly, status=Service.Status.TERMINATED, terminated_on=today - timedelta(days=3)
    )
    make_invoice(ann, issue_date=today - timedelta(days=40))  # 36.00 overdue
    make_invoice(bob, issue_date=today, paid=True)

    response = staff_a.get("/isp/")

    assert response.status_code == 200
    html = page(response)
    assert '<span class="kpi-value" id="kpi-subscribers">2</span>' in html
    assert '<span class="kpi-value" id="kpi-mrr">80.00</span>' in html
    assert '<span class="kpi-value" id="kpi-arpu">40.00</span>' in html
    assert '<span class="kpi-value" id="kpi-overdue">36.00</span>' in html
    assert '<span class="kpi-value" id="kpi-churn">33.3%</span>' in html  # 1 of 3 left
    assert html.count('<svg class="chart"') == 3  # the shell's icons are SVGs too
    assert "MRR and revenue by month" in html
    assert f"{today:%b %y}" in html  # month axis


def test_dashboard_costs_the_same_queries_with_many_customers(staff_a, in_tenant_a):
    plan = make_plan()

    def queries() -> int:
        return queries_of(staff_a, "/isp/")

    make_service(make_customer("First One"), plan)
    few = queries()
    for n in range(15):
        customer = make_customer(f"Many{n} Person")
        make_service(customer, plan)
        make_invoice(customer)
    assert queries() == few


# --- Customer list -----------------------------------------------------------------------------


def test_customer_list_shows_accounts_with_balance_and_overdue(staff_a, in_tenant_a):
    ann = make_customer("Ann Lee")
    make_service(ann, make_plan())
    make_invoice(ann, issue_date=timezone.localdate() - timedelta(days=30))

    html = page(staff_a.get("/isp/customers/"))

    assert ann.account_number in html
    assert "Ann Lee" in html
    assert "ann@example.com" in html
    assert '<span class="overdue">36.00</span>' in html
    assert "36.00 USD" in html  # balance


@pytest.mark.parametrize(
    ("query", "expected"),
    [("ann@", {"Ann Lee"}), ("ray", {"Bob Ray"}), ("C0", {"Ann Lee", "Bob Ray"})],
)
def test_customer_list_searches_name_email_and_account_number(
    staff_a, in_tenant_a, query, expected
):
    make_customer("Ann Lee")
    make_customer("Bob Ray", email="robert@example.com")
    names = {"Ann Lee", "Bob Ray"}

    html = page(staff_a.get("/isp/customers/", {"q": query}))

    assert {name for name in names if name in html} == expected


def test_customer_list_filters_by_status_kind_and_overdue(staff_a, in_tenant_a):
    plan = make_plan()
    ann = make_customer("Ann Lee")
    make_service(ann, plan)
    make_invoice(ann, issue_date=timezone.localdate() - timedelta(days=30))
    make_customer("Bob Ray", kind="business")
    make_customer("Cy Fresh")

    def names(**params) -> set[str]:
        html = page(staff_a.get("/isp/customers/", params))
        return {name for name in ("Ann Lee", "Bob Ray", "Cy Fresh") if name in html}

    assert names(status="active") == {"Ann Lee"}
    assert names(status="prospect") == {"Bob Ray", "Cy Fresh"}
    assert names(kind="business") == {"Bob Ray"}
    assert names(overdue="1") == {"Ann Lee"}
    assert names(status="bogus") == {"Ann Lee", "Bob Ray", "Cy Fresh"}


def test_customer_list_is_paginated_keeping_the_filters(staff_a, in_tenant_a):
    for n in range(30):
        make_customer(f"Person{n:02d} Test", kind="business")

    first = page(staff_a.get("/isp/customers/", {"kind": "business"}))
    second = page(staff_a.get("/isp/customers/", {"kind": "business", "page": 2}))

    assert "Page 1 of 2" in first
    assert "30 in all" in first
    assert "kind=business&amp;page=2" in first
    assert "Person00 Test" in first
    assert "Person29 Test" not in first
    assert "Person29 Test" in second
    assert "Person00 Test" not in second


def test_customer_list_query_count_does_not_grow_with_its_length(staff_a, in_tenant_a):
    plan = make_plan()

    def queries() -> int:
        return queries_of(staff_a, "/isp/customers/")

    make_service(make_customer("First One"), plan)
    one = queries()
    for n in range(20):
        customer = make_customer(f"Many{n} Person")
        make_service(customer, plan)
        make_invoice(customer)
    assert queries() == one


# --- Customer create / edit --------------------------------------------------------------------


CUSTOMER_FORM = {
    "kind": "residential",
    "name": "Dana Scully",
    "email": "dana@example.com",
    "phone": "+1 202 555 0143",
    "billing_day": "5",
    "service_street": "2630 Hegal Place",
    "service_city": "Alexandria",
    "service_postcode": "22314",
    "service_country": "US",
}


def test_staff_creates_a_customer_through_the_form(staff_a, in_tenant_a):
    form = staff_a.get("/isp/customers/new/")
    assert 'name="csrfmiddlewaretoken"' in page(form)

    response = staff_a.post("/isp/customers/new/", CUSTOMER_FORM)

    customer = Customer.objects.get(email="dana@example.com")
    assert response.status_code == 302
    assert response["Location"] == f"/isp/customers/{customer.pk}/"
    assert customer.billing_day == 5
    assert customer.service_city == "Alexandria"
    detail = page(staff_a.get(response["Location"]))
    assert f"Customer {customer.account_number} Dana Scully created." in detail
    assert f"Account {customer.account_number} opened" in detail


def test_an_invalid_customer_form_shows_the_errors_and_writes_nothing(staff_a, in_tenant_a):
    response = staff_a.post("/isp/customers/new/", {**CUSTOMER_FORM, "email": "nope"})

    assert response.status_code == 400
    assert "Enter a valid email address." in page(response)
    assert not Customer.objects.exists()


def test_the_customer_limit_is_refused_with_a_clear_message_and_nothing_written(
    staff_a, in_tenant_a, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        licensing.subscription_set_overrides(
            subscription=Subscription.objects.get(tenant=in_tenant_a, app__key="isp"),
            limits={"isp.max_customers": 1},
            actor="test",
        )
    make_customer("Only One")

    response = staff_a.post("/isp/customers/new/", CUSTOMER_FORM)

    assert response.status_code == 403
    assert "Your plan allows 1 for isp.max_customers; 1 are in use." in page(response)
    with schema_context(in_tenant_a.schema_name):
        assert Customer.objects.count() == 1


def test_staff_edits_a_customer_and_the_change_is_on_the_timeline(staff_a, in_tenant_a):
    customer = make_customer("Ann Lee")
    form = page(staff_a.get(f"/isp/customers/{customer.pk}/edit/"))
    assert 'value="ann@example.com"' in form

    response = staff_a.post(
        f"/isp/customers/{customer.pk}/edit/",
        {
            **CUSTOMER_FORM,
            "name": "Ann Lee",
            "email": "ann@example.com",
            "phone": "+44 20 7946 0958",
        },
    )

    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.phone == "+44 20 7946 0958"
    event = customer.timeline.filter(kind=TimelineEvent.Kind.UPDATED).get()
    assert "phone" in event.message
    assert event.actor == "owner"


# --- Customer detail ---------------------------------------------------------------------------


def test_customer_detail_shows_services_invoices_payments_and_timeline(staff_a, in_tenant_a):
    plan = make_plan("Fibre 500", "45.00")
    customer = make_customer("Ann Lee", phone="+1 202 555 0100")
    service = make_service(customer, plan)
    invoice = make_invoice(customer, lines=[("Fibre 500, March", "45.00", "20.00")])
    make_payment(customer, "20.00", reference="BANK-778")

    html = page(staff_a.get(f"/isp/customers/{customer.pk}/"))

    assert "Ann Lee" in html
    assert "+1 202 555 0100" in html
    assert f'id="service-{service.pk}"' in html
    assert "Fibre 500" in html
    assert f"/isp/services/{service.pk}/suspend/" in html
    assert f"/isp/services/{service.pk}/change-plan/" in html
    assert invoice.number in html
    assert "54.00" in html
    assert "BANK-778" in html
    assert 'id="record-payment"' in html
    assert "54.00 USD" in html  # balance
    assert "Account " in html
    assert "opened" in html


def test_a_pending_service_offers_activation(staff_a, in_tenant_a):
    customer = make_customer("Ann Lee")
    service = make_service(customer, make_plan(), status=Service.Status.PENDING)

    html = page(staff_a.get(f"/isp/customers/{customer.pk}/"))

    assert f"/isp/services/{service.pk}/activate/" in html
    assert f"/isp/services/{service.pk}/suspend/" not in html


def test_staff_adds_a_note_to_the_timeline(staff_a, in_tenant_a):
    customer = make_customer("Ann Lee")

    response = staff_a.post(f"/isp/customers/{customer.pk}/notes/", {"text": "Called about Wi-Fi"})

    assert response.status_code == 302
    assert "Called about Wi-Fi" in page(staff_a.get(f"/isp/customers/{customer.pk}/"))


def test_staff_adds_and_removes_a_contact(staff_a, in_tenant_a):
    customer = make_customer("Acme Ltd", kind="business")

    staff_a.post(
        f"/isp/customers/{customer.pk}/contacts/",
        {"name": "Wile Coyote", "role": "billing", "email": "wile@acme.test", "phone": ""},
    )
    contact = customer.contacts.get()
    assert "wile@acme.test" in page(staff_a.get(f"/isp/customers/{customer.pk}/"))

    staff_a.post(f"/isp/customers/{customer.pk}/contacts/{contact.pk}/delete/")
    assert not customer.contacts.exists()


def test_writes_are_refused_without_csrf_token(staff_a, in_tenant_a):
    strict = staff_a
    strict.handler.enforce_csrf_checks = True
    customer = make_customer("Ann Lee")

    response = strict.post(f"/isp/customers/{customer.pk}/notes/", {"text": "sneaky"})

    assert response.status_code == 403
    assert not customer.timeline.filter(kind="note").exists()


def test_customer_detail_query_count_does_not_grow_with_its_history(staff_a, in_tenant_a):
    plan = make_plan()
    customer = make_customer("Ann Lee")
    make_service(customer, plan)

    def queries() -> int:
        return queries_of(staff_a, f"/isp/customers/{customer.pk}/")

    before = queries()
    for _ in range(5):
        make_service(customer, plan)
        make_invoice(customer)
        make_payment(customer, "5.00")
    assert queries() == before


# --- Plans, invoices, billing runs -------------------------------------------------------------


def test_plans_page_lists_plans_with_their_services(staff_a, in_tenant_a):
    plan = make_plan("Fibre 300", "39.00", data_cap_gb=500)
    make_service(make_customer("Ann Lee"), plan)
    make_plan("Copper 20", "15.00")

    html = page(staff_a.get("/isp/plans/"))

    assert "Fibre 300" in html
    assert "Copper 20" in html
    assert "500 GB" in html
    assert "Unlimited" in html
    assert "39.00" in html


def test_invoice_list_filters_overdue(staff_a, in_tenant_a):
    customer = make_customer("Ann Lee")
    late = make_invoice(customer, issue_date=timezone.localdate() - timedelta(days=30))
    fresh = make_invoice(customer)

    html = page(staff_a.get("/isp/invoices/", {"overdue": "1"}))

    assert late.number in html
    assert fresh.number not in html
    assert "Overdue" in html


def test_invoice_list_query_count_does_not_grow_with_its_length(staff_a, in_tenant_a):
    customer = make_customer("Ann Lee")
    make_invoice(customer)

    def queries() -> int:
        return queries_of(staff_a, "/isp/invoices/")

    one = queries()
    for n in range(10):
        make_invoice(make_customer(f"Other{n} Person"))
    assert queries() == one


def test_invoice_detail_shows_lines_taxes_and_allocations(staff_a, in_tenant_a):
    customer = make_customer("Ann Lee")
    invoice = make_invoice(
        customer,
        lines=[("Fibre 100, May", "30.00", "20.00"), ("Router rental", "5.00", "5.00")],
        paid=True,
    )

    html = page(staff_a.get(f"/isp/invoices/{invoice.pk}/"))

    assert f"Invoice {invoice.number}" in html
    assert "Fibre 100, May" in html
    assert "Router rental" in html
    assert "Tax 20.00% on 30.00" in html
    assert "Tax 5.00% on 5.00" in html
    assert "41.25 USD" in html  # 35.00 + 6.00 + 0.25
    assert "Bank transfer payment of 41.25" in html
    assert f"/isp/invoices/{invoice.pk}/pdf/" in html


def test_invoice_print_view_is_a_standalone_document(staff_a, in_tenant_a):
    invoice = make_invoice(make_customer("Ann Lee", billing_street="9 Elm Row"))

    html = page(staff_a.get(f"/isp/invoices/{invoice.pk}/print/"))

    assert html.startswith("<!doctype html>")
    assert "9 Elm Row" in html
    assert invoice.number in html
    assert "Amount due" in html


def test_invoice_pdf_downloads(staff_a, in_tenant_a):
    invoice = make_invoice(make_customer("Ann Lee"))

    response = staff_a.get(f"/isp/invoices/{invoice.pk}/pdf/")

    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="{invoice.number}.pdf"'
    assert response.content.startswith(b"%PDF")


def test_billing_runs_page_lists_runs_and_offers_to_run_now(staff_a, in_tenant_a):
    BillingRun.objects.create(
        as_of=timezone.localdate(),
        status="succeeded",
        triggered_by="schedule",
        invoices_created=42,
        total_invoiced=Decimal("1260.00"),
    )

    html = page(staff_a.get("/isp/billing-runs/"))

    assert "Run billing now" in html
    assert "42" in html
    assert "1260.00 USD" in html
    assert "Succeeded" in html


# --- Tenant isolation --------------------------------------------------------------------------


def _objects_of_tenant_a(tenant_a):
    with schema_context(tenant_a.schema_name):
        customer = make_customer("Ann Lee")
        service = make_service(customer, make_plan())
        invoice = make_invoice(customer)
        contact = customer.contacts.create(name="X Y")
    return customer, service, invoice, contact


def test_every_object_page_of_tenant_a_is_a_404_on_tenant_b(client_b, tenant_a):
    customer, service, invoice, contact = _objects_of_tenant_a(tenant_a)
    client_b.sign_in()

    gets = [
        f"/isp/customers/{customer.pk}/",
        f"/isp/customers/{customer.pk}/edit/",
        f"/isp/customers/{customer.pk}/statement/",
        f"/isp/customers/{customer.pk}/services/new/",
        f"/isp/services/{service.pk}/change-plan/",
        f"/isp/invoices/{invoice.pk}/",
        f"/isp/invoices/{invoice.pk}/print/",
        f"/isp/invoices/{invoice.pk}/pdf/",
    ]
    posts = [
        f"/isp/customers/{customer.pk}/notes/",
        f"/isp/customers/{customer.pk}/status/",
        f"/isp/customers/{customer.pk}/portal-access/",
        f"/isp/customers/{customer.pk}/contacts/",
        f"/isp/customers/{customer.pk}/contacts/{contact.pk}/delete/",
        f"/isp/customers/{customer.pk}/payments/",
        f"/isp/services/{service.pk}/activate/",
        f"/isp/services/{service.pk}/suspend/",
        f"/isp/services/{service.pk}/terminate/",
    ]

    assert {path: client_b.get(path).status_code for path in gets} == dict.fromkeys(gets, 404)
    assert {path: client_b.post(path).status_code for path in posts} == dict.fromkeys(posts, 404)


def test_tenant_bs_lists_do_not_show_tenant_as_customers(client_b, tenant_a):
    customer, _, invoice, _ = _objects_of_tenant_a(tenant_a)
    client_b.sign_in()

    assert customer.account_number not in page(client_b.get("/isp/customers/"))
    assert invoice.number not in page(client_b.get("/isp/invoices/"))


# --- Account status and portal access ----------------------------------------------------------


def test_staff_closes_an_account_without_live_services_and_reopens_it(staff_a, in_tenant_a):
    customer = make_customer("Ann Lee")

    staff_a.post(f"/isp/customers/{customer.pk}/status/", {"status": "closed", "reason": "moved"})
    customer.refresh_from_db()
    assert customer.status == Customer.Status.CLOSED
    html = page(staff_a.get(f"/isp/customers/{customer.pk}/"))
    assert "Account closed." in html
    assert "Status Prospect → Closed: moved" in html
    assert "Reopen account" in html

    staff_a.post(f"/isp/customers/{customer.pk}/status/", {"status": "prospect"})
    customer.refresh_from_db()
    assert customer.status == Customer.Status.PROSPECT


def test_closing_an_account_with_a_live_service_is_refused_with_the_reason(staff_a, in_tenant_a):
    customer = make_customer("Ann Lee")
    make_service(customer, make_plan())

    response = staff_a.post(
        f"/isp/customers/{customer.pk}/status/", {"status": "closed"}, follow=True
    )

    assert "Terminate the account&#x27;s services before closing it." in page(response)
    customer.refresh_from_db()
    assert customer.status == Customer.Status.ACTIVE


def test_staff_gives_and_removes_portal_access(staff_a, in_tenant_a):
    customer = make_customer("Ann Lee")
    ann = make_user("ann", "Customer")
    make_user("sarah", "IT Manager")  # no portal role: not offered
    form = page(staff_a.get(f"/isp/customers/{customer.pk}/"))
    assert f'<option value="{ann.pk}">ann</option>' in form
    assert ">sarah</option>" not in form

    staff_a.post(f"/isp/customers/{customer.pk}/portal-access/", {"user": ann.pk})
    customer.refresh_from_db()
    assert customer.user == ann
    assert "Portal access given to ann" in page(staff_a.get(f"/isp/customers/{customer.pk}/"))

    staff_a.post(f"/isp/customers/{customer.pk}/portal-access/", {"remove": "1"})
    customer.refresh_from_db()
    assert customer.user is None


def test_a_user_linked_to_another_account_cannot_be_given_a_second_one(staff_a, in_tenant_a):
    ann = make_user("ann", "Customer")
    first, second = make_customer("Ann Lee"), make_customer("Ann Again")
    staff_a.post(f"/isp/customers/{first.pk}/portal-access/", {"user": ann.pk})

    response = staff_a.post(
        f"/isp/customers/{second.pk}/portal-access/", {"user": ann.pk}, follow=True
    )

    assert "Choose a user who is not linked to another account." in page(response)
    second.refresh_from_db()
    assert second.user is None
