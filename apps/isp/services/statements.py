"""A customer's statement: every money movement of the account between two dates, with the
opening, running and closing balance."""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from django.core.exceptions import ValidationError
from django.utils import timezone

from apps.core.money import ZERO
from apps.isp.models import CreditNote, Customer, Invoice, Payment, Refund


@dataclass(frozen=True)
class StatementEntry:
    date: datetime.date
    kind: str  # invoice, credit_note, payment, refund
    number: str
    description: str
    debit: Decimal
    credit: Decimal
    balance: Decimal


@dataclass
class Statement:
    customer: Customer
    start: datetime.date
    end: datetime.date
    opening_balance: Decimal
    entries: list[StatementEntry] = field(default_factory=list)
    closing_balance: Decimal = ZERO


def _movements(customer: Customer) -> list[tuple]:
    """(date, order, kind, number, description, debit, credit) of every money movement."""
    rows = []
    for invoice in Invoice.objects.filter(customer=customer).order_by():
        rows.append(
            (invoice.issue_date, 0, invoice.pk, "invoice", invoice.number,
             f"Invoice, due {invoice.due_date:%d %b %Y}", invoice.total, ZERO)
        )  # fmt: skip
    for note in CreditNote.objects.filter(customer=customer).order_by():
        rows.append(
            (note.issue_date, 1, note.pk, "credit_note", note.number, note.reason, ZERO,
             note.total)
        )  # fmt: skip
    payments = Payment.objects.filter(customer=customer, status=Payment.Status.SUCCEEDED)
    for payment in payments.order_by():
        rows.append(
            (payment.received_on, 2, payment.pk, "payment", payment.reference or f"P{payment.pk}",
             f"Payment ({payment.get_method_display()})", ZERO, payment.amount)
        )  # fmt: skip
    for refund in Refund.objects.filter(payment__customer=customer).order_by():
        rows.append(
            (timezone.localdate(refund.created_at), 3, refund.pk, "refund", f"R{refund.pk}",
             f"Refund: {refund.reason}", refund.amount, ZERO)
        )  # fmt: skip
    rows.sort(key=lambda row: row[:3])
    return rows


def customer_statement(
    *, customer: Customer, start: datetime.date | None = None, end: datetime.date | None = None
) -> Statement:
    """The account's movements from `start` (default: a year before `end`) to `end` (default:
    today), inclusive, with a running balance."""
    end = end or timezone.localdate()
    start = start or end - relativedelta(years=1)  # 29 February → 28 February
    if end < start:
        raise ValidationError({"end": "The statement must end on or after its start."})
    opening = ZERO
    statement = Statement(customer=customer, start=start, end=end, opening_balance=ZERO)
    balance = ZERO
    for day, _, _, kind, number, description, debit, credit in _movements(customer):
        if day < start:
            opening += debit - credit
            balance = opening
            continue
        if day > end:
            break
        balance += debit - credit
        statement.entries.append(
            StatementEntry(day, kind, number, description, debit, credit, balance)
        )
    statement.opening_balance = opening
    statement.closing_balance = balance if statement.entries else opening
    return statement
