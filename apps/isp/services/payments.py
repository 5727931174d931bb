"""Money received and given back: payments (cash, bank transfer, card through the gateway),
their allocation to invoices, overpayment kept as credit, refunds.

* A payment is allocated to the customer's open invoices, oldest due first; what is left is
  credit on the account (`Payment.amount_unallocated`), consumed by the next invoice issued
  (billing.py). A card payment of an invoice settles that invoice first.
* A declined card is recorded as a failed payment (kept, visible on the account; it moves no
  money) and raises PaymentDeclinedError.
* Only credit can be refunded (a payment's unallocated part): money that settled an invoice is
  corrected by a credit note first. A card payment is refunded through the gateway.
* Once a payment (or a credit note) settles the balance, services suspended by dunning are
  restored (dunning.py).
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from psycopg.types.json import Jsonb

from apps.core.audit import audit_created, audit_updated, resolve_actor, snapshot
from apps.core.dates import check_window
from apps.core.errors import ErrorCode
from apps.core.exceptions import ConflictError, DomainError
from apps.core.kit import organisation
from apps.core.models import AuditEntry
from apps.core.money import ZERO, money
from apps.isp.constants import HISTORY, PAYMENT_AHEAD
from apps.isp.gateways import gateway
from apps.isp.models import Allocation, Customer, Invoice, Payment, Refund, TimelineEvent
from apps.isp.services.billing import (
    _allocate,
    after_balance_fell,
    balance_change,
    credit_apply,
    customer_locked,
)
from apps.isp.services.bulk import (
    TIMELINE_COLUMNS,
    audit_copy,
    copy_rows,
    new_ids,
    update_many,
)
from apps.isp.services.timeline import timeline_record


class PaymentDeclinedError(DomainError):
    """The card was declined: nothing was taken (the attempt is kept as a failed payment)."""

    code = ErrorCode.VALIDATION_ERROR


def _amount(value) -> Decimal:
    if not isinstance(value, Decimal | int | str):
        raise ValidationError({"amount": "Amounts are Decimal, never float."})
    try:
        amount = money(value)
    except ArithmeticError as error:
        raise ValidationError({"amount": "Enter an amount."}) from error
    if amount <= 0:
        raise ValidationError({"amount": "The amount must be positive."})
    return amount


def _record(
    *,
    customer: Customer,
    amount: Decimal,
    method: str,
    received_on: datetime.date | None,
    reference: str = "",
    gateway_name: str = "",
    gateway_reference: str = "",
    invoice: Invoice | None = None,
    actor=None,
) -> Payment:
    """A succeeded payment: on the balance, allocated (to `invoice` first), the rest credit."""
    customer = customer_locked(customer)
    payment = Payment(
        customer=customer,
        amount=amount,
        currency=organisation.currency(),
        method=method,
        received_on=received_on or timezone.localdate(),
        reference=reference,
        gateway=gateway_name,
        gateway_reference=gateway_reference,
        amount_unallocated=amount,
        actor="",
    )
    payment.full_clean(exclude=["customer"], validate_constraints=False)
    payment.actor = resolve_actor(actor).name[:150]
    payment.save()
    audit_created(payment, actor=actor)
    balance_change(customer, -amount, actor=actor, why=f"payment {payment.pk}")
    timeline_record(
        customer=customer,
        kind=TimelineEvent.Kind.PAYMENT,
        message=f"Payment of {amount} {payment.currency} received ({payment.get_method_display()})",
        data={"payment": payment.pk, "amount": str(amount)},
        actor=actor,
    )
    if invoice is not None:
        target = Invoice.objects.select_for_update().get(pk=invoice.pk)
        if target.status == Invoice.Status.OPEN and target.amount_due > 0:
            target.customer = customer
            _allocate(invoice=target, payment=payment, amount=min(amount, target.amount_due))
    credit_apply(customer=customer, actor=actor)
    after_balance_fell(customer=customer, actor=actor)
    payment.refresh_from_db()
    return payment


@transaction.atomic
def payment_record(
    *,
    customer: Customer,
    amount,
    method: str,
    received_on: datetime.date | None = None,
    reference: str = "",
    actor=None,
) -> Payment:
    """Record money received (cash, bank transfer, or a card taken outside the gateway)."""
    check_window(received_on, "received_on", before=HISTORY, after=PAYMENT_AHEAD,
                 what="The day the payment was received")  # fmt: skip
    if method not in Payment.Method.values:
        raise ValidationError({"method": f"Unknown payment method '{method}'."})
    return _record(
        customer=customer,
        amount=_amount(amount),
        method=method,
        received_on=received_on,
        reference=reference[:100],
        actor=actor,
    )


def invoice_pay(*, invoice: Invoice, card_number: str, actor=None) -> Payment:
    """Pay what remains due on an invoice by card, through the gateway. A decline is kept as a
    failed payment, then PaymentDeclinedError is raised."""
    with transaction.atomic():
        invoice = Invoice.objects.select_for_update().select_related("customer").get(pk=invoice.pk)
        if invoice.status != Invoice.Status.OPEN or invoice.amount_due <= 0:
            raise ConflictError(f"Invoice {invoice.number} has nothing left to pay.")
        provider = gateway()
        result = provider.charge(
            card_number=card_number,
            amount=invoice.amount_due,
            currency=invoice.currency,
            description=f"Invoice {invoice.number}",
        )
        if result.succeeded:
            return _record(
                customer=invoice.customer,
                amount=invoice.amount_due,
                method=Payment.Method.CARD,
                received_on=timezone.localdate(),
                reference=invoice.number,
                gateway_name=provider.name,
                gateway_reference=result.reference,
                invoice=invoice,
                actor=actor,
            )
        failed = Payment.objects.create(
            customer=invoice.customer,
            amount=invoice.amount_due,
            currency=invoice.currency,
            method=Payment.Method.CARD,
            status=Payment.Status.FAILED,
            received_on=timezone.localdate(),
            reference=invoice.number,
            gateway=provider.name,
            gateway_reference=result.reference,
            failure_reason=result.failure_reason[:200],
            amount_unallocated=0,
            actor=resolve_actor(actor).name[:150],
        )
        audit_created(failed, actor=actor)
        timeline_record(
            customer=invoice.customer,
            kind=TimelineEvent.Kind.PAYMENT,
            message=f"Card payment of {failed.amount} {failed.currency} for {invoice.number} "
            f"failed: {failed.failure_reason}",
            data={"payment": failed.pk, "invoice": invoice.pk},
            actor=actor,
        )
    raise PaymentDeclinedError(
        f"The card was declined ({failed.failure_reason}); invoice {invoice.number} is still due."
    )


@transaction.atomic
def payment_refund(*, payment: Payment, amount, reason: str, actor=None) -> Refund:
    """Give back part of a payment's unallocated credit (through the gateway for a card)."""
    amount = _amount(amount)
    if not reason.strip():
        raise ValidationError({"reason": "Say why the money is given back."})
    customer = customer_locked(payment.customer)
    payment = Payment.objects.select_for_update().get(pk=payment.pk)
    if payment.status != Payment.Status.SUCCEEDED:
        raise ConflictError("Only a succeeded payment can be refunded.")
    if amount > payment.amount_unallocated:
        raise ValidationError(
            {
                "amount": f"Only the payment's unallocated credit ({payment.amount_unallocated} "
                f"{payment.currency}) can be refunded."
            }
        )
    reference = ""
    if payment.method == Payment.Method.CARD and payment.gateway:
        result = gateway().refund(
            reference=payment.gateway_reference, amount=amount, currency=payment.currency
        )
        if not result.succeeded:
            raise ConflictError(f"The gateway refused the refund: {result.failure_reason}.")
        reference = result.reference
    before = snapshot(payment, fields=["amount_unallocated", "amount_refunded"])
    payment.amount_unallocated -= amount
    payment.amount_refunded += amount
    payment.save(update_fields=["amount_unallocated", "amount_refunded"])
    audit_updated(payment, before, actor=actor)
    refund = Refund.objects.create(
        payment=payment,
        amount=amount,
        reason=reason.strip()[:300],
        gateway_reference=reference,
        actor=resolve_actor(actor).name[:150],
    )
    audit_created(refund, actor=actor)
    balance_change(customer, amount, actor=actor, why=f"refund {refund.pk}")
    timeline_record(
        customer=customer,
        kind=TimelineEvent.Kind.REFUND,
        message=f"Refund of {amount} {payment.currency}: {refund.reason}",
        data={"refund": refund.pk, "payment": payment.pk},
        actor=actor,
    )
    return refund


# --- Many payments at once ----------------------------------------------------------------------


@dataclass(frozen=True)
class PaymentEntry:
    """One payment of an imported batch (a bank statement line)."""

    customer_id: int
    amount: Decimal
    method: str
    received_on: datetime.date
    reference: str = ""


PAYMENT_COLUMNS = (
    "id", "customer_id", "amount", "currency", "method", "status", "received_on", "reference",
    "gateway", "gateway_reference", "failure_reason", "amount_unallocated", "amount_refunded",
    "actor", "created_at",
)  # fmt: skip
ALLOCATION_COLUMNS = ("id", "invoice_id", "payment_id", "amount", "created_at")


@transaction.atomic
def payments_import(*, entries: list[PaymentEntry], actor=None) -> int:
    """Record a batch of payments (a bank statement) with set-based writes, each exactly as
    payment_record would: on the balance, allocated to the customer's open invoices oldest due
    first (earlier entries first), the rest kept as credit, with timeline and audit entries;
    dunning suspensions lifted once settled. Returns how many payments were recorded."""
    if not entries:
        return 0
    for entry in entries:
        _amount(entry.amount)
        if entry.method not in Payment.Method.values:
            raise ValidationError({"method": f"Unknown payment method '{entry.method}'."})
    customer_ids = sorted({entry.customer_id for entry in entries})
    statuses = dict(
        Customer.objects.select_for_update()
        .filter(pk__in=customer_ids)
        .order_by("pk")
        .values_list("pk", "status")
    )
    if len(statuses) != len(customer_ids):
        raise ValidationError({"customer": "Unknown customer in the batch."})
    open_invoices: dict[int, list[list]] = {}
    rows = (
        Invoice.objects.select_for_update()
        .filter(customer_id__in=customer_ids, status=Invoice.Status.OPEN, amount_due__gt=0)
        .order_by("customer_id", "due_date", "issue_date", "id")
        .values_list("id", "customer_id", "number", "amount_due")
    )
    for pk, customer_id, number, amount_due in rows:
        open_invoices.setdefault(customer_id, []).append([pk, number, amount_due])
    now, currency = timezone.now(), organisation.currency()
    who = resolve_actor(actor).name[:150]
    payment_ids = new_ids(Payment, len(entries))
    payments, allocations, events, audit = [], [], [], []
    paid: dict[int, tuple] = {}
    moved: dict[int, Decimal] = {}
    for payment_id, entry in zip(payment_ids, entries, strict=True):
        amount, left = money(entry.amount), money(entry.amount)
        for invoice in open_invoices.get(entry.customer_id, []):
            if not left:
                break
            if not invoice[2]:
                continue
            take = min(left, invoice[2])
            invoice[2] -= take
            left -= take
            allocations.append([invoice[0], payment_id, take, now])
            if not invoice[2]:
                paid[invoice[0]] = (entry.customer_id, invoice[1])
        payments.append(
            (payment_id, entry.customer_id, amount, currency, entry.method,
             Payment.Status.SUCCEEDED, entry.received_on, entry.reference[:100], "", "", "",
             left, ZERO, who, now)
        )  # fmt: skip
        moved[entry.customer_id] = moved.get(entry.customer_id, ZERO) - amount
        method = Payment.Method(entry.method).label
        events.append(
            (entry.customer_id, TimelineEvent.Kind.PAYMENT,
             f"Payment of {amount} {currency} received ({method})",
             Jsonb({"payment": payment_id, "amount": str(amount)}), who, now)
        )  # fmt: skip
        audit.append(
            (AuditEntry.CREATE, "isp.payment", payment_id,
             f"{method} {amount} {currency} on {entry.received_on}",
             {"customer": [None, entry.customer_id], "amount": [None, str(amount)],
              "method": [None, entry.method], "amount_unallocated": [None, str(left)]})
        )  # fmt: skip
    allocation_ids = new_ids(Allocation, len(allocations))
    for allocation_id, allocation in zip(allocation_ids, allocations, strict=True):
        allocation.insert(0, allocation_id)
        audit.append(
            (AuditEntry.CREATE, "isp.allocation", allocation_id, f"{allocation[3]} to invoice",
             {"invoice": [None, allocation[1]], "payment": [None, allocation[2]],
              "amount": [None, str(allocation[3])]})
        )  # fmt: skip
    for invoice_id, (customer_id, number) in paid.items():
        events.append(
            (customer_id, TimelineEvent.Kind.INVOICE, f"Invoice {number} paid",
             Jsonb({"invoice": invoice_id}), who, now)
        )  # fmt: skip
    for customer_id, delta in moved.items():
        audit.append(
            (AuditEntry.UPDATE, "isp.customer", customer_id, f"customer {customer_id}",
             {"balance": [None, f"{delta} (payments)"]})
        )  # fmt: skip
    copy_rows(Payment, PAYMENT_COLUMNS, payments)
    copy_rows(Allocation, ALLOCATION_COLUMNS, [tuple(row) for row in allocations])
    left_due = {pk: due for invoices in open_invoices.values() for pk, _, due in invoices}
    settled = sorted({row[1] for row in allocations})
    update_many(
        Invoice,
        settled,
        {
            "amount_due": ("numeric", [left_due[pk] for pk in settled]),
            "status": ("text", [Invoice.Status.PAID if pk in paid else "open" for pk in settled]),
            "paid_at": ("timestamptz", [now if pk in paid else None for pk in settled]),
        },
    )
    update_many(
        Customer, list(moved), {"balance": ("numeric", list(moved.values()))}, add={"balance"}
    )
    copy_rows(TimelineEvent, TIMELINE_COLUMNS, events)
    audit_copy(audit, actor=actor, now=now)
    for customer_id, status in statuses.items():
        if status == Customer.Status.SUSPENDED:
            after_balance_fell(customer=Customer.objects.get(pk=customer_id), actor=actor)
    return len(payments)
