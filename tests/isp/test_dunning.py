"""Dunning: reminder → suspension → payment → restoration, each step once per invoice."""

import datetime
from decimal import Decimal

import pytest
from django.core import mail

from apps.core.models import AuditEntry
from apps.isp.models import Customer, DunningNotice, Invoice, Service, TimelineEvent
from apps.isp.services.billing import LineDraft, credit_note_create
from apps.isp.services.dunning import dunning_run
from apps.isp.services.payments import payment_record
from apps.isp.services.subscriptions import service_suspend
from tests.isp.factories import active_service

D = datetime.date
ACTIVATED = D(2026, 3, 1)  # the first invoice is due 14 days later
DUE = D(2026, 3, 15)


def days_overdue(days: int) -> datetime.date:
    return DUE + datetime.timedelta(days=days)


@pytest.mark.audited
def test_overdue_customer_is_reminded_suspended_and_restored_once_paid(in_tenant_a):
    service = active_service(on=ACTIVATED)
    other = active_service(customer=service.customer, on=ACTIVATED)
    customer = service.customer
    invoice = Invoice.objects.filter(customer=customer).order_by("id").first()
    assert invoice.due_date == DUE

    assert dunning_run(as_of=days_overdue(6))["reminders"] == 0
    done = dunning_run(as_of=days_overdue(7))
    assert done == {"invoices": 2, "reminders": 2, "suspensions": 0}  # both invoices are late
    assert len(mail.outbox) == 2
    assert mail.outbox[0].to == [customer.email]
    assert invoice.number in mail.outbox[0].subject
    assert customer.name in mail.outbox[0].body

    assert dunning_run(as_of=days_overdue(7))["reminders"] == 0  # once per invoice and step
    done = dunning_run(as_of=days_overdue(21))
    assert done["reminders"] == 2
    assert done["suspensions"] == 2
    for each in (service, other):
        each.refresh_from_db()
        assert (each.status, each.suspension_reason) == (Service.Status.SUSPENDED, "dunning")
    customer.refresh_from_db()
    assert customer.status == Customer.Status.SUSPENDED
    assert DunningNotice.objects.filter(customer=customer).count() == 6

    payment_record(customer=customer, amount=customer.balance, method="bank_transfer")

    for each in (service, other):
        each.refresh_from_db()
        assert (each.status, each.suspension_reason) == (Service.Status.ACTIVE, "")
    customer.refresh_from_db()
    assert customer.status == Customer.Status.ACTIVE
    messages = list(
        customer.timeline.filter(kind=TimelineEvent.Kind.DUNNING).values_list("message", flat=True)
    )
    assert any("First reminder" in m for m in messages)
    assert any("suspended" in m for m in messages)
    assert messages[0] == "Balance paid: 2 service(s) restored"
    assert AuditEntry.objects.filter(object_type="isp.dunningnotice").count() == 6


def test_a_partial_payment_keeps_the_suspension(in_tenant_a):
    service = active_service(on=ACTIVATED)
    dunning_run(as_of=days_overdue(21))

    payment_record(customer=service.customer, amount=Decimal("10.00"), method="cash")

    service.refresh_from_db()
    assert service.status == Service.Status.SUSPENDED


def test_a_credit_note_settling_the_invoice_restores_too(in_tenant_a):
    service = active_service(on=ACTIVATED)
    invoice = Invoice.objects.get(customer=service.customer)
    dunning_run(as_of=days_overdue(21))

    credit_note_create(
        customer=service.customer,
        invoice=invoice,
        reason="Outage compensation",
        lines=[LineDraft(kind="adjustment", description="Outage", amount=Decimal("80.00"),
                         tax_rate=Decimal("20"))],
    )  # fmt: skip

    service.refresh_from_db()
    assert service.status == Service.Status.ACTIVE


def test_a_suspension_by_staff_is_not_lifted_by_a_payment(in_tenant_a):
    service = active_service(on=ACTIVATED)
    service_suspend(service=service, reason="manual")

    dunning_run(as_of=days_overdue(21))
    payment_record(customer=service.customer, amount=Decimal("500.00"), method="cash")

    service.refresh_from_db()
    assert (service.status, service.suspension_reason) == (Service.Status.SUSPENDED, "manual")


def test_paid_invoices_and_inactive_steps_are_left_alone(in_tenant_a):
    from apps.isp.models import DunningStep

    service = active_service(on=ACTIVATED)
    DunningStep.objects.filter(days_overdue=7).update(is_active=False)

    assert dunning_run(as_of=days_overdue(8))["reminders"] == 0
    payment_record(customer=service.customer, amount=Decimal("96.00"), method="cash")
    assert dunning_run(as_of=days_overdue(30)) == {"invoices": 0, "reminders": 0, "suspensions": 0}
