"""Gapless numbers, invoice totals and immediate invoices (an upgrade's proration, a trial's
first stretch). The period invoices of a run are built the same way, in bulk (runs.py)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db import transaction

from apps.core.audit import audit_created
from apps.core.money import ZERO, money
from apps.platform.billing.models import BillingAccount, BillingSequence, Invoice, InvoiceLine

INVOICE_SEQUENCE = "platform-invoice"


def sequence_take(count: int = 1, key: str = INVOICE_SEQUENCE) -> int:
    """Reserve `count` consecutive invoice numbers; returns the first. Runs inside the
    transaction that creates the invoices: the row lock serialises numbering across workers
    until commit, and a rollback gives the numbers back, so committed numbers have no gap."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("sequence_take() must run inside the invoices' transaction")
    BillingSequence.objects.get_or_create(key=key)
    sequence = BillingSequence.objects.select_for_update().get(key=key)
    first = sequence.next_number
    sequence.next_number = first + count
    sequence.save(update_fields=["next_number"])
    return first


@dataclass
class LineSpec:
    """A line to be written: what InvoiceLine holds, before it has an invoice."""

    key: str
    kind: str
    description: str
    period_start: datetime.date
    period_end: datetime.date
    amount: Decimal
    subscription_id: int | None = None
    app_key: str = ""
    quantity: int = 1


@dataclass
class Totals:
    subtotal: Decimal
    credit_applied: Decimal
    credit_left: Decimal  # the account's credit balance after this invoice
    tax: Decimal
    total: Decimal


def totals(amounts: list[Decimal], *, credit_balance: Decimal, tax_rate: Decimal) -> Totals:
    """Subtotal of the lines; the account's credit used against it; a negative subtotal (more
    credited than charged) is carried to the account's credit; tax on what remains."""
    subtotal = sum(amounts, ZERO)
    credit_left = credit_balance
    if subtotal < 0:
        return Totals(subtotal, ZERO, credit_balance - subtotal, ZERO, ZERO)
    applied = min(credit_balance, subtotal)
    credit_left = credit_balance - applied
    taxable = subtotal - applied
    tax = money(taxable * tax_rate / 100)
    return Totals(subtotal, applied, credit_left, tax, taxable + tax)


def invoice_fields(account: BillingAccount, t: Totals, today: datetime.date) -> dict:
    return {
        "account_id": account.pk,
        "currency": account.currency,
        "issued_on": today,
        "due_on": today + datetime.timedelta(days=settings.BILLING_DUE_DAYS),
        "subtotal": t.subtotal,
        "credit_applied": t.credit_applied,
        "tax_rate": account.tax_rate,
        "tax": t.tax,
        "total": t.total,
        "status": Invoice.Status.OPEN if t.total > 0 else Invoice.Status.PAID,
        "next_retry_on": today if t.total > 0 else None,
    }


def line_row(spec: LineSpec, account_id: int, invoice: Invoice | None) -> InvoiceLine:
    return InvoiceLine(
        invoice=invoice, account_id=account_id, subscription_id=spec.subscription_id,
        app_key=spec.app_key, kind=spec.kind, key=spec.key, description=spec.description,
        period_start=spec.period_start, period_end=spec.period_end, quantity=spec.quantity,
        amount=spec.amount,
    )  # fmt: skip


def issue_immediate(
    *, account: BillingAccount, specs: list[LineSpec], today: datetime.date, actor: str = "billing"
) -> Invoice | None:
    """An invoice issued now for `specs` (the caller holds the account's row lock)."""
    if not specs:
        return None
    t = totals([s.amount for s in specs], credit_balance=account.credit_balance,
               tax_rate=account.tax_rate)  # fmt: skip
    starts = [s.period_start for s in specs]
    ends = [s.period_end for s in specs]
    fields = invoice_fields(account, t, today)
    invoice = Invoice(kind=Invoice.Kind.IMMEDIATE, period_start=min(starts),
                      period_end=max(ends), number=0, **fields)  # fmt: skip
    invoice.number = sequence_take(1)
    invoice.save()
    InvoiceLine.objects.bulk_create([line_row(s, account.pk, invoice) for s in specs])
    audit_created(invoice, actor=actor)
    if account.credit_balance != t.credit_left:
        BillingAccount.objects.filter(pk=account.pk).update(credit_balance=t.credit_left)
        account.credit_balance = t.credit_left
    return invoice
