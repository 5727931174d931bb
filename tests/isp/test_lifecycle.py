"""A service's life through the services: order, activate, suspend, restore, terminate; the
documents' rules (numbering, taxes, balance) and the customer statement."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from apps.core.exceptions import ConflictError
from apps.core.models import AuditEntry
from apps.isp.models import Customer, Invoice, LineKind, Service, TimelineEvent
from apps.isp.services.billing import LineDraft, credit_note_create, invoice_create
from apps.isp.services.payments import payment_record
from apps.isp.services.statements import customer_statement
from apps.isp.services.subscriptions import (
    service_activate,
    service_change_plan,
    service_restore,
    service_suspend,
    service_terminate,
)
from tests.isp.factories import CustomerFactory, ServiceFactory, ServicePlanFactory, active_service

D = datetime.date


def adjustment(amount: str, rate: str = "20.00") -> LineDraft:
    return LineDraft(
        kind=LineKind.ADJUSTMENT, description="Adjustment", amount=Decimal(amount),
        tax_rate=Decimal(rate),
    )  # fmt: skip


@pytest.mark.audited
def test_activation_makes_the_service_and_the_customer_active(in_tenant_a):
    service = ServiceFactory()
    assert service.status == Service.Status.PENDING
    assert service.customer.status == Customer.Status.PROSPECT

    invoice = service_activate(service=service, on=D(2026, 4, 1))

    service.customer.refresh_from_db()
    assert (service.status, service.activated_on) == (Service.Status.ACTIVE, D(2026, 4, 1))
    assert service.customer.status == Customer.Status.ACTIVE
    assert invoice.status == Invoice.Status.OPEN
    kinds = set(service.customer.timeline.values_list("kind", flat=True))
    assert {TimelineEvent.Kind.SERVICE, TimelineEvent.Kind.INVOICE} <= kinds


def test_an_active_service_cannot_be_activated_again(in_tenant_a):
    service = active_service(on=D(2026, 4, 1))

    with pytest.raises(ConflictError):
        service_activate(service=service)


@pytest.mark.audited
def test_suspend_and_restore_are_recorded_and_checked(in_tenant_a):
    service = active_service(on=D(2026, 4, 1))

    service_suspend(service=service)
    assert (service.status, service.suspension_reason) == (Service.Status.SUSPENDED, "manual")
    with pytest.raises(ConflictError):
        service_suspend(service=service)
    service_restore(service=service)
    assert (service.status, service.suspension_reason, service.suspended_at) == (
        Service.Status.ACTIVE,
        "",
        None,
    )
    with pytest.raises(ConflictError):
        service_restore(service=service)
    messages = list(service.customer.timeline.values_list("message", flat=True))
    assert any("suspended (by staff)" in message for message in messages)
    assert any("restored" in message for message in messages)


def test_terminated_service_cannot_change_plan_nor_be_terminated_again(in_tenant_a):
    service = active_service(on=D(2026, 4, 1))
    service_terminate(service=service, on=D(2026, 4, 30))

    with pytest.raises(ConflictError):
        service_terminate(service=service)
    with pytest.raises(ConflictError):
        service_change_plan(service=service, plan=ServicePlanFactory())


def test_a_pending_service_is_terminated_without_documents(in_tenant_a):
    service = ServiceFactory()

    assert service_terminate(service=service, on=D(2026, 4, 1)) is None
    assert service.status == Service.Status.TERMINATED
    assert not Invoice.objects.filter(customer=service.customer).exists()


def test_a_retired_plan_is_not_sold(in_tenant_a):
    from apps.isp.services.plans import plan_retire

    plan = plan_retire(plan=ServicePlanFactory())

    with pytest.raises(ValidationError):
        ServiceFactory(plan=plan)


def test_a_period_is_never_invoiced_twice_for_a_service(in_tenant_a):
    service = active_service(on=D(2026, 4, 1))  # April billed
    line = LineDraft(
        kind=LineKind.SERVICE, description="Again", amount=Decimal("30.00"), service=service,
        period_start=D(2026, 4, 15), period_end=D(2026, 5, 14),
    )  # fmt: skip

    with pytest.raises(ValidationError):
        invoice_create(customer=service.customer, lines=[line])


@pytest.mark.audited
def test_invoice_numbers_follow_each_other_and_taxes_round_half_up_per_line(in_tenant_a):
    customer = CustomerFactory()

    first = invoice_create(customer=customer, lines=[adjustment("10.05"), adjustment("0.025")])
    second = invoice_create(customer=customer, lines=[adjustment("1.00", "5.00")])

    assert int(second.number.removeprefix("INV-")) == int(first.number.removeprefix("INV-")) + 1
    # 10.05 × 20% = 2.01; 0.03 (0.025 rounded half-up) × 20% = 0.006 → 0.01
    assert (first.subtotal, first.tax_total, first.total) == (
        Decimal("10.08"),
        Decimal("2.02"),
        Decimal("12.10"),
    )
    assert second.tax_total == Decimal("0.05")
    customer.refresh_from_db()
    assert customer.balance == Decimal("12.10") + Decimal("1.05")
    assert AuditEntry.objects.filter(object_type="isp.invoice", action="create").count() == 2


def test_float_amounts_are_refused(in_tenant_a):
    customer = CustomerFactory()
    with pytest.raises(ValidationError):
        invoice_create(
            customer=customer,
            lines=[LineDraft(kind=LineKind.ADJUSTMENT, description="x", amount=1.5)],
        )


@pytest.mark.audited
def test_credit_note_settles_the_invoice_it_corrects_and_voids_it_when_whole(in_tenant_a):
    customer = CustomerFactory()
    invoice = invoice_create(customer=customer, lines=[adjustment("50.00")])

    note = credit_note_create(
        customer=customer, lines=[adjustment("50.00")], reason="Billed by mistake", invoice=invoice
    )

    invoice.refresh_from_db()
    customer.refresh_from_db()
    assert note.number.startswith("CN-")
    assert note.amount_unapplied == 0
    assert (invoice.status, invoice.amount_due) == (Invoice.Status.VOID, 0)
    assert customer.balance == 0


def test_credit_without_an_open_invoice_is_kept_and_consumed_by_the_next_invoice(in_tenant_a):
    customer = CustomerFactory()
    note = credit_note_create(customer=customer, lines=[adjustment("10.00")], reason="Goodwill")
    assert note.amount_unapplied == Decimal("12.00")

    invoice = invoice_create(customer=customer, lines=[adjustment("25.00")])

    note.refresh_from_db()
    assert note.amount_unapplied == 0
    assert invoice.amount_due == Decimal("18.00")  # 30.00 − 12.00
    customer.refresh_from_db()
    assert customer.balance == Decimal("18.00")


def test_statement_lists_movements_with_a_running_balance(in_tenant_a):
    customer = CustomerFactory()
    invoice_create(customer=customer, lines=[adjustment("100.00")], issue_date=D(2026, 1, 5))
    invoice_create(customer=customer, lines=[adjustment("50.00")], issue_date=D(2026, 2, 5))
    payment_record(customer=customer, amount=Decimal("100.00"), method="bank_transfer",
                   received_on=D(2026, 2, 10), reference="BT-1")  # fmt: skip

    statement = customer_statement(customer=customer, start=D(2026, 2, 1), end=D(2026, 2, 28))

    assert statement.opening_balance == Decimal("120.00")
    assert [(e.kind, e.debit, e.credit, e.balance) for e in statement.entries] == [
        ("invoice", Decimal("60.00"), 0, Decimal("180.00")),
        ("payment", 0, Decimal("100.00"), Decimal("80.00")),
    ]
    assert statement.closing_balance == Decimal("80.00")
