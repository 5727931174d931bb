"""Proration with exact amounts (the rules are in apps/isp/services/proration.py's docstring).

Plans are taxed at the standard 20%; the customer's billing day is the 1st unless said."""

import datetime
from decimal import Decimal

import pytest

from apps.isp.models import CreditNote, Invoice, LineKind, Service
from apps.isp.services.payments import payment_record
from apps.isp.services.subscriptions import service_change_plan, service_terminate
from tests.isp.factories import CustomerFactory, ServicePlanFactory, active_service

D = datetime.date


def first_invoice(service: Service) -> Invoice:
    return Invoice.objects.filter(lines__service=service).order_by("id").first()


def service_line(invoice: Invoice):
    return invoice.lines.get(kind=LineKind.SERVICE)


@pytest.mark.audited
def test_mid_period_activation_charges_the_setup_fee_and_the_rest_of_the_month(in_tenant_a):
    service = active_service(on=D(2026, 3, 10))

    invoice = first_invoice(service)
    line = service_line(invoice)
    # 30.00 × 22/31 = 21.29; setup 50.00; tax 10.00 + 4.26
    assert (line.period_start, line.period_end, line.amount) == (
        D(2026, 3, 10),
        D(2026, 3, 31),
        Decimal("21.29"),
    )
    assert invoice.lines.get(kind=LineKind.SETUP).amount == Decimal("50.00")
    assert (invoice.subtotal, invoice.tax_total, invoice.total) == (
        Decimal("71.29"),
        Decimal("14.26"),
        Decimal("85.55"),
    )
    assert invoice.due_date == D(2026, 3, 24)  # 14 days' payment terms
    service.refresh_from_db()
    assert service.billed_until == D(2026, 3, 31)
    assert service.customer.balance == Decimal("85.55")


def test_activation_in_february_is_prorated_over_its_28_days(in_tenant_a):
    service = active_service(on=D(2026, 2, 15))

    line = service_line(first_invoice(service))
    assert (line.period_start, line.period_end, line.amount) == (
        D(2026, 2, 15),
        D(2026, 2, 28),
        Decimal("15.00"),  # 30.00 × 14/28
    )


def test_activation_on_the_billing_day_charges_a_whole_period(in_tenant_a):
    customer = CustomerFactory(billing_day=5)
    service = active_service(customer=customer, on=D(2026, 1, 5))

    line = service_line(first_invoice(service))
    assert (line.period_start, line.period_end, line.amount) == (
        D(2026, 1, 5),
        D(2026, 2, 4),
        Decimal("30.00"),
    )


def test_a_discount_and_a_price_override_apply_before_proration(in_tenant_a):
    discounted = active_service(on=D(2026, 3, 10), discount_percent=Decimal("15"))
    overridden = active_service(
        on=D(2026, 3, 1), price_override=Decimal("40.00"), discount_percent=Decimal("10")
    )

    # 30.00 less 15% = 25.50; × 22/31 = 18.10
    assert service_line(first_invoice(discounted)).amount == Decimal("18.10")
    # 40.00 less 10% = 36.00 for the whole of March
    assert service_line(first_invoice(overridden)).amount == Decimal("36.00")


@pytest.mark.audited
def test_upgrade_credits_the_unused_old_plan_and_charges_the_new_for_the_same_days(in_tenant_a):
    small = ServicePlanFactory(price=Decimal("30.00"))
    large = ServicePlanFactory(price=Decimal("60.00"))
    service = active_service(plan=small, on=D(2026, 3, 1))  # billed 1–31 March

    change = service_change_plan(service=service, plan=large, on=D(2026, 3, 17))

    # 17–31 March = 15 days of 31: credit 30 × 15/31 = 14.52, charge 60 × 15/31 = 29.03
    assert (change.credited, change.charged) == (Decimal("14.52"), Decimal("29.03"))
    note = CreditNote.objects.get(customer=service.customer)
    invoice = Invoice.objects.get(lines__plan_change=change)
    assert (note.subtotal, note.total) == (Decimal("14.52"), Decimal("17.42"))
    assert (invoice.subtotal, invoice.total) == (Decimal("29.03"), Decimal("34.84"))
    # The credit note settles part of the invoice it comes with.
    assert note.invoice == invoice
    assert note.amount_unapplied == 0
    assert invoice.amount_due == Decimal("17.42")
    line = invoice.lines.get()
    assert (line.period_start, line.period_end) == (D(2026, 3, 17), D(2026, 3, 31))
    service.refresh_from_db()
    assert service.plan == large
    assert service.billed_until == D(2026, 3, 31)
    # setup 50 + March 30 (+20%) = 96.00, then 34.84 − 17.42
    service.customer.refresh_from_db()
    assert service.customer.balance == Decimal("96.00") + Decimal("17.42")


def test_downgrade_leaves_credit_that_the_next_invoice_consumes(in_tenant_a):
    small = ServicePlanFactory(price=Decimal("30.00"), setup_fee=Decimal("0.00"))
    large = ServicePlanFactory(price=Decimal("60.00"), setup_fee=Decimal("0.00"))
    service = active_service(plan=large, on=D(2026, 3, 1))
    payment_record(customer=service.customer, amount=Decimal("72.00"), method="cash")

    change = service_change_plan(service=service, plan=small, on=D(2026, 3, 17))

    assert (change.credited, change.charged) == (Decimal("29.03"), Decimal("14.52"))
    note = CreditNote.objects.get(customer=service.customer)
    assert note.total == Decimal("34.84")
    # 17.42 settles the plan-change invoice; 17.42 stays as credit.
    assert note.amount_unapplied == Decimal("17.42")
    service.customer.refresh_from_db()
    assert service.customer.balance == Decimal("-17.42")
    assert not Invoice.objects.filter(customer=service.customer, status="open").exists()


@pytest.mark.audited
def test_termination_credits_the_days_after_the_last_day(in_tenant_a):
    service = active_service(on=D(2026, 3, 1))

    note = service_terminate(service=service, on=D(2026, 3, 20))

    # 21–31 March = 11 days: 30 × 11/31 = 10.65, tax 2.13
    line = note.lines.get()
    assert (line.kind, line.period_start, line.period_end) == (
        LineKind.TERMINATION,
        D(2026, 3, 21),
        D(2026, 3, 31),
    )
    assert (note.subtotal, note.tax_total, note.total) == (
        Decimal("10.65"),
        Decimal("2.13"),
        Decimal("12.78"),
    )
    service.refresh_from_db()
    assert (service.status, service.terminated_on, service.billed_until) == (
        Service.Status.TERMINATED,
        D(2026, 3, 20),
        D(2026, 3, 20),
    )


def test_termination_on_the_last_billed_day_credits_nothing(in_tenant_a):
    service = active_service(on=D(2026, 3, 1))

    assert service_terminate(service=service, on=D(2026, 3, 31)) is None


def test_quarterly_plan_is_prorated_over_the_quarter(in_tenant_a):
    quarterly = ServicePlanFactory(
        price=Decimal("90.00"), setup_fee=Decimal("0.00"), billing_period="quarterly"
    )
    whole = active_service(plan=quarterly, on=D(2026, 1, 1))
    partial = active_service(plan=quarterly, on=D(2026, 3, 10))

    line = service_line(first_invoice(whole))
    assert (line.period_start, line.period_end, line.amount) == (
        D(2026, 1, 1),
        D(2026, 3, 31),
        Decimal("90.00"),
    )
    # 10–31 March of the quarter 1 Jan – 31 Mar (90 days): 90 × 22/90
    line = service_line(first_invoice(partial))
    assert (line.period_end, line.amount) == (D(2026, 3, 31), Decimal("22.00"))
    # Terminated on 20 Jan: 21 Jan – 31 Mar = 70 of the quarter's 90 days
    assert service_terminate(service=whole, on=D(2026, 1, 20)).subtotal == Decimal("70.00")


def test_yearly_plan_first_stretch_is_prorated_over_the_year(in_tenant_a):
    yearly = ServicePlanFactory(
        price=Decimal("360.00"), setup_fee=Decimal("0.00"), billing_period="yearly"
    )
    service = active_service(plan=yearly, on=D(2026, 6, 16))

    # 16–30 June of the year 1 Jul 2025 – 30 Jun 2026 (365 days): 360 × 15/365 = 14.79
    line = service_line(first_invoice(service))
    assert (line.period_end, line.amount) == (D(2026, 6, 30), Decimal("14.79"))
