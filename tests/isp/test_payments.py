"""Payments: allocation oldest first, overpayment as credit, cards through the sandbox gateway,
refunds of credit only."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from apps.core.exceptions import ConflictError
from apps.isp.gateways import SandboxGateway
from apps.isp.models import Invoice, LineKind, Payment, Refund
from apps.isp.services.billing import LineDraft, invoice_create
from apps.isp.services.payments import (
    PaymentDeclinedError,
    invoice_pay,
    payment_record,
    payment_refund,
)
from tests.isp.factories import CustomerFactory

D = datetime.date


def bill(customer, net: str, issued: datetime.date) -> Invoice:
    line = LineDraft(
        kind=LineKind.ADJUSTMENT, description="Charge", amount=Decimal(net), tax_rate=Decimal(20)
    )
    return invoice_create(customer=customer, lines=[line], issue_date=issued)


@pytest.mark.audited
def test_payment_settles_the_oldest_invoices_first_and_keeps_the_rest_as_credit(in_tenant_a):
    customer = CustomerFactory()
    newer = bill(customer, "40.00", D(2026, 2, 1))
    older = bill(customer, "30.00", D(2026, 1, 1))

    payment = payment_record(customer=customer, amount=Decimal("100.00"), method="cash")

    older.refresh_from_db()
    newer.refresh_from_db()
    assert (older.status, older.amount_due) == (Invoice.Status.PAID, 0)
    assert older.paid_at is not None
    assert (newer.status, newer.amount_due) == (Invoice.Status.PAID, 0)
    assert payment.amount_unallocated == Decimal("16.00")  # 100 − 36 − 48
    assert [a.invoice for a in payment.allocations.order_by("id")] == [older, newer]
    customer.refresh_from_db()
    assert customer.balance == Decimal("-16.00")


def test_partial_payment_leaves_the_newer_invoice_open(in_tenant_a):
    customer = CustomerFactory()
    older = bill(customer, "30.00", D(2026, 1, 1))
    newer = bill(customer, "40.00", D(2026, 2, 1))

    payment_record(customer=customer, amount=Decimal("60.00"), method="bank_transfer")

    older.refresh_from_db()
    newer.refresh_from_db()
    assert older.status == Invoice.Status.PAID
    assert (newer.status, newer.amount_due) == (Invoice.Status.OPEN, Decimal("24.00"))
    customer.refresh_from_db()
    assert customer.balance == Decimal("24.00")  # 36 + 48 − 60


def test_credit_from_an_overpayment_is_consumed_by_the_next_invoice(in_tenant_a):
    customer = CustomerFactory()
    payment = payment_record(customer=customer, amount=Decimal("20.00"), method="cash")

    invoice = bill(customer, "10.00", D(2026, 3, 1))

    payment.refresh_from_db()
    assert invoice.status == Invoice.Status.PAID
    assert payment.amount_unallocated == Decimal("8.00")


def test_bad_amounts_and_methods_are_refused(in_tenant_a):
    customer = CustomerFactory()
    for amount, method in ((Decimal("0"), "cash"), (Decimal("-5"), "cash"), (1.5, "cash"),
                           (Decimal("5"), "cheque")):  # fmt: skip
        with pytest.raises(ValidationError):
            payment_record(customer=customer, amount=amount, method=method)
    assert not Payment.objects.exists()


@pytest.mark.audited
def test_card_payment_through_the_sandbox_pays_the_invoice(in_tenant_a):
    customer = CustomerFactory()
    bill(customer, "5.00", D(2026, 1, 1))  # older, must not take this card payment
    invoice = bill(customer, "10.00", D(2026, 2, 1))

    payment = invoice_pay(invoice=invoice, card_number="4242 4242 4242 4242")

    invoice.refresh_from_db()
    assert (payment.method, payment.gateway, payment.status) == ("card", "sandbox", "succeeded")
    assert payment.gateway_reference.startswith("sbx_ch_")
    assert (invoice.status, payment.amount) == (Invoice.Status.PAID, Decimal("12.00"))
    with pytest.raises(ConflictError):
        invoice_pay(invoice=invoice, card_number=SandboxGateway.SUCCEEDS)


def test_declined_card_is_kept_as_a_failed_payment_and_the_invoice_stays_due(in_tenant_a):
    customer = CustomerFactory()
    invoice = bill(customer, "10.00", D(2026, 2, 1))

    with pytest.raises(PaymentDeclinedError) as declined:
        invoice_pay(invoice=invoice, card_number="4000 0000 0000 0002")

    assert "declined" in declined.value.message
    failed = Payment.objects.get(customer=customer)
    assert (failed.status, failed.failure_reason) == (Payment.Status.FAILED, "Card declined")
    invoice.refresh_from_db()
    customer.refresh_from_db()
    assert invoice.status == Invoice.Status.OPEN
    assert customer.balance == Decimal("12.00")
    assert customer.timeline.filter(kind="payment", message__contains="failed").exists()


@pytest.mark.audited
def test_only_credit_is_refunded_and_a_card_refund_goes_through_the_gateway(in_tenant_a):
    customer = CustomerFactory()
    invoice = bill(customer, "10.00", D(2026, 2, 1))
    payment = invoice_pay(invoice=invoice, card_number=SandboxGateway.SUCCEEDS)
    with pytest.raises(ValidationError):
        payment_refund(payment=payment, amount=Decimal("1.00"), reason="all allocated")

    cash = payment_record(customer=customer, amount=Decimal("50.00"), method="cash")
    refund = payment_refund(payment=cash, amount=Decimal("20.00"), reason="Moving abroad")

    cash.refresh_from_db()
    customer.refresh_from_db()
    assert (cash.amount_unallocated, cash.amount_refunded) == (Decimal("30.00"), Decimal("20.00"))
    assert customer.balance == Decimal("-30.00")
    assert refund.gateway_reference == ""
    with pytest.raises(ValidationError):
        payment_refund(payment=cash, amount=Decimal("30.01"), reason="too much")
    assert Refund.objects.count() == 1


@pytest.mark.audited
def test_an_imported_batch_allocates_like_payment_record(in_tenant_a):
    from apps.isp.services.payments import PaymentEntry, payments_import

    one, two = CustomerFactory(), CustomerFactory()
    older = bill(one, "30.00", D(2026, 1, 1))  # 36.00
    newer = bill(one, "40.00", D(2026, 2, 1))  # 48.00
    other = bill(two, "10.00", D(2026, 2, 1))  # 12.00

    count = payments_import(
        entries=[
            PaymentEntry(one.pk, Decimal("50.00"), "bank_transfer", D(2026, 2, 10), "BT-1"),
            PaymentEntry(two.pk, Decimal("20.00"), "bank_transfer", D(2026, 2, 10), "BT-2"),
            PaymentEntry(one.pk, Decimal("40.00"), "cash", D(2026, 2, 11)),
        ]
    )

    assert count == 3
    for invoice in (older, newer, other):
        invoice.refresh_from_db()
    assert (older.status, older.amount_due, older.paid_at is not None) == ("paid", 0, True)
    assert (newer.status, newer.amount_due) == ("paid", 0)  # 14.00 + 34.00
    assert other.status == "paid"
    first, last = Payment.objects.filter(customer=one).order_by("id")
    assert (first.amount_unallocated, last.amount_unallocated) == (0, Decimal("6.00"))
    assert [a.invoice_id for a in first.allocations.order_by("id")] == [older.pk, newer.pk]
    one.refresh_from_db()
    two.refresh_from_db()
    assert (one.balance, two.balance) == (Decimal("-6.00"), Decimal("-8.00"))
    assert one.timeline.filter(kind="payment").count() == 2
    # The credit is used by the next invoice, as after payment_record.
    assert bill(two, "5.00", D(2026, 3, 1)).status == "paid"
