"""Staff pages that drive the billing engine: ordering, activating, suspending, restoring,
re-planning and terminating services, recording payments, statements. Every write goes
through the services (the suite's audit check holds each request to it)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from apps.isp.models import CreditNote, Invoice, Payment, Service
from tests.isp.factories import CustomerFactory, ServiceFactory, ServicePlanFactory, active_service


@pytest.fixture
def staff_a(client_a):
    return client_a.sign_in()


def page(response) -> str:
    return response.content.decode()


def detail(client, customer) -> str:
    return page(client.get(f"/isp/customers/{customer.pk}/"))


def test_staff_orders_a_service_and_activating_it_issues_the_first_invoice(staff_a, in_tenant_a):
    customer = CustomerFactory(name="Ann Lee", billing_day=1)
    plan = ServicePlanFactory(name="Fibre 200", price=Decimal("30.00"))
    form = page(staff_a.get(f"/isp/customers/{customer.pk}/services/new/"))
    assert "Fibre 200" in form

    ordered = staff_a.post(
        f"/isp/customers/{customer.pk}/services/new/",
        {"plan": plan.pk, "install_street": "1 Main St", "install_city": "Leeds",
         "discount_percent": "0"},
    )  # fmt: skip
    service = Service.objects.get(customer=customer)
    assert ordered.status_code == 302
    assert service.status == Service.Status.PENDING
    assert service.install_city == "Leeds"

    activated = staff_a.post(f"/isp/services/{service.pk}/activate/", {"on": ""})

    assert activated.status_code == 302
    invoice = Invoice.objects.get(customer=customer)
    html = detail(staff_a, customer)
    assert f"Fibre 200 activated. Invoice {invoice.number} issued." in html
    assert f"/isp/invoices/{invoice.pk}/" in html
    assert "Setup: Fibre 200" in page(staff_a.get(f"/isp/invoices/{invoice.pk}/"))
    service.refresh_from_db()
    assert service.status == Service.Status.ACTIVE


def test_suspend_and_restore_from_the_customer_page(staff_a, in_tenant_a):
    service = active_service(customer=CustomerFactory(name="Ann Lee"))

    staff_a.post(f"/isp/services/{service.pk}/suspend/")
    service.refresh_from_db()
    assert service.status == Service.Status.SUSPENDED
    html = detail(staff_a, service.customer)
    assert f"/isp/services/{service.pk}/restore/" in html
    assert "suspended." in html

    staff_a.post(f"/isp/services/{service.pk}/restore/")
    service.refresh_from_db()
    assert service.status == Service.Status.ACTIVE


def test_an_invalid_transition_is_shown_as_an_error_message(staff_a, in_tenant_a):
    service = ServiceFactory(customer=CustomerFactory(name="Ann Lee"))  # pending

    response = staff_a.post(f"/isp/services/{service.pk}/suspend/", follow=True)

    assert response.status_code == 200
    assert 'class="message error"' in page(response)
    service.refresh_from_db()
    assert service.status == Service.Status.PENDING


def test_unknown_service_action_is_a_404(staff_a, in_tenant_a):
    service = ServiceFactory(customer=CustomerFactory(name="Ann Lee"))

    assert staff_a.post(f"/isp/services/{service.pk}/explode/").status_code == 404


def test_service_actions_need_post(staff_a, in_tenant_a):
    service = ServiceFactory(customer=CustomerFactory(name="Ann Lee"))

    assert staff_a.get(f"/isp/services/{service.pk}/activate/").status_code == 405


def test_changing_plan_through_the_form_records_the_change(staff_a, in_tenant_a):
    start = timezone.localdate() - timedelta(days=3)
    customer = CustomerFactory(name="Ann Lee", billing_day=start.day if start.day <= 28 else 1)
    service = active_service(customer=customer, on=start)
    bigger = ServicePlanFactory(name="Fibre 1000", price=Decimal("60.00"))
    form = page(staff_a.get(f"/isp/services/{service.pk}/change-plan/"))
    assert "Fibre 1000" in form

    response = staff_a.post(f"/isp/services/{service.pk}/change-plan/", {"plan": bigger.pk})

    assert response.status_code == 302
    service.refresh_from_db()
    assert service.plan == bigger
    assert "→ Fibre 1000" in detail(staff_a, customer)


def test_terminating_credits_the_unused_days(staff_a, in_tenant_a):
    customer = CustomerFactory(name="Ann Lee", billing_day=1)
    service = active_service(customer=customer, on=timezone.localdate().replace(day=1))
    last_day = timezone.localdate().replace(day=1)

    response = staff_a.post(
        f"/isp/services/{service.pk}/terminate/", {"on": last_day.isoformat()}, follow=True
    )

    service.refresh_from_db()
    assert service.status == Service.Status.TERMINATED
    html = page(response)
    note = CreditNote.objects.filter(customer=customer).first()
    if note is not None:  # a one-day month start leaves unused days to credit
        assert f"Credit note {note.number} issued." in html
        assert note.number in html
    assert "terminated" in html


def test_recording_a_payment_settles_the_oldest_invoice(staff_a, in_tenant_a):
    service = active_service(customer=CustomerFactory(name="Ann Lee"))
    invoice = Invoice.objects.get(customer=service.customer)

    response = staff_a.post(
        f"/isp/customers/{service.customer.pk}/payments/",
        {"amount": str(invoice.total), "method": "bank_transfer", "received_on": "",
         "reference": "BACS-1234"},
        follow=True,
    )  # fmt: skip

    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.PAID
    html = page(response)
    assert f"Payment of {invoice.total} USD recorded." in html
    assert "BACS-1234" in html
    payment = Payment.objects.get(customer=service.customer)
    assert payment.actor == "owner"


def test_an_invalid_payment_is_refused_with_a_message(staff_a, in_tenant_a):
    customer = CustomerFactory(name="Ann Lee")

    response = staff_a.post(
        f"/isp/customers/{customer.pk}/payments/", {"amount": "-5", "method": "cash"}, follow=True
    )

    assert "Payment not recorded" in page(response)
    assert not Payment.objects.exists()


def test_statement_shows_the_movements_and_the_running_balance(staff_a, in_tenant_a):
    service = active_service(customer=CustomerFactory(name="Ann Lee"))
    invoice = Invoice.objects.get(customer=service.customer)
    today = timezone.localdate()

    html = page(
        staff_a.get(
            f"/isp/customers/{service.customer.pk}/statement/",
            {"start": (today - timedelta(days=30)).isoformat(), "end": today.isoformat()},
        )
    )

    assert invoice.number in html
    assert f'id="closing-balance">{invoice.total}<' in html


def test_statement_with_dates_the_wrong_way_round_is_refused(staff_a, in_tenant_a):
    customer = CustomerFactory(name="Ann Lee")

    response = staff_a.get(
        f"/isp/customers/{customer.pk}/statement/", {"start": "2026-05-01", "end": "2026-04-01"}
    )

    assert response.status_code == 400
    assert "The statement must start before it ends." in page(response)


def test_run_billing_now_queues_a_run_for_today(
    staff_a, in_tenant_a, django_capture_on_commit_callbacks
):
    from apps.isp.models import BillingRun

    with django_capture_on_commit_callbacks() as dispatched:
        response = staff_a.post("/isp/billing-runs/run/", follow=True)

    run = BillingRun.objects.get()
    assert run.status == BillingRun.Status.QUEUED
    assert run.as_of == timezone.localdate()
    assert run.triggered_by == "owner"
    assert len(dispatched) == 1  # the task is sent once the run is committed
    html = page(response)
    assert f"Billing run as of {run.as_of:%d %b %Y} queued" in html
    assert "Queued" in html


def test_run_billing_now_needs_post(staff_a, in_tenant_a):
    assert staff_a.get("/isp/billing-runs/run/").status_code == 405
