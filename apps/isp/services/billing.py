"""Invoices, credit notes, credit and statements: the documents of a customer's account.

Rules kept here (and by the database where it can):
* Invoices and credit notes are numbered without gaps from the tenant's sequences
  (`numbering.sequence_take`, a row lock held until the document's transaction ends), with the
  prefixes of BillingSettings: INV-000001, CN-000001.
* Each line's tax is its net amount × its rate, rounded half-up to the cent; a document's
  subtotal, tax and total are the sums of its lines. An invoice is due `payment_terms_days`
  after its issue date.
* `Customer.balance` is what the customer owes: + each invoice's total, − each credit note's
  total, − each successful payment, + each refund. Every service that changes one of those
  changes the balance in the same transaction, under a lock on the customer's row.
* Credit (a credit note's `amount_unapplied`, a payment's `amount_unallocated`) never sits
  beside an open invoice: an account either has open invoices or credit, not both. So a credit
  note is allocated first to the invoice it corrects (if that one is open), then to the
  customer's other open invoices, oldest due first; what is left stays as credit, which the
  next invoice issued consumes at once (credit notes before payments, oldest first). A payment
  is allocated the same way (payments.payment_record).
* Locks are always taken in the same order, so concurrent services never deadlock: the
  document sequences first (by key: credit_note before invoice; `lock_sequences` takes both at
  once for a service that writes both), then the customer, then its invoices and credit.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.dispatch import Signal
from django.utils import timezone

from apps.core.audit import UPDATE, audit_created, audit_record, snapshot
from apps.core.dates import check_window
from apps.core.kit import organisation
from apps.core.kit.writes import record_update
from apps.core.money import ZERO, money
from apps.isp.constants import AHEAD, HISTORY
from apps.isp.models import (
    Allocation,
    BillingRun,
    CreditNote,
    CreditNoteLine,
    Customer,
    DocumentSequence,
    Invoice,
    InvoiceLine,
    LineKind,
    Payment,
    TaxClass,
    TimelineEvent,
)
from apps.isp.services.numbering import sequence_take
from apps.isp.services.setup import billing_settings
from apps.isp.services.timeline import timeline_record

INVOICE_SEQUENCE = "invoice"
#: The constraints that keep a service from being charged twice (InvoiceLine's Meta).
CHARGED_ONCE = ("isp_service_periods_never_overlap", "isp_one_setup_fee")
CREDIT_NOTE_SEQUENCE = "credit_note"


@dataclass
class LineDraft:
    """A line to put on an invoice or a credit note (amount: net, before tax; tax_rate None:
    the rate of the tenant's default tax class)."""

    kind: str
    description: str
    amount: Decimal
    tax_rate: Decimal | None = ZERO
    service: object = None
    period_start: datetime.date | None = None
    period_end: datetime.date | None = None
    plan_change: object = None

    @property
    def tax_amount(self) -> Decimal:
        return line_tax(self.amount, self.tax_rate)


def line_tax(amount: Decimal, rate: Decimal) -> Decimal:
    return money(Decimal(amount) * Decimal(rate) / Decimal(100))


def document_number(prefix: str, number: int) -> str:
    return f"{prefix}{number:06d}"


def lock_sequences(*keys: str) -> None:
    """Take the row locks of these sequences now, in the house order (see the docstring), so
    that a service writing several kinds of documents never waits on one while holding the
    other's."""
    for key in keys:
        DocumentSequence.objects.get_or_create(key=key)
    list(DocumentSequence.objects.select_for_update().filter(key__in=keys).order_by("key"))


def customer_locked(customer: Customer) -> Customer:
    """The customer's row, locked until the transaction ends (fresh balance and status)."""
    locked = Customer.objects.select_for_update().get(pk=customer.pk)
    customer.balance, customer.status = locked.balance, locked.status
    return locked


def balance_change(customer: Customer, delta: Decimal, *, actor=None, why: str = "") -> None:
    """Move a (locked) customer's balance by `delta`, audited."""
    if not delta:
        return
    before = snapshot(customer, fields=["balance"])
    Customer.objects.filter(pk=customer.pk).update(
        balance=F("balance") + delta, updated_at=timezone.now()
    )
    customer.balance = money(customer.balance + delta)
    audit_record(
        action=UPDATE,
        instance=customer,
        changes={
            "balance": [before["balance"], str(customer.balance)],
            **({"why": why} if why else {}),
        },
        actor=actor,
    )


def default_tax_rate() -> Decimal:
    """The rate of the tenant's default tax class (0 when it has none)."""
    rate = TaxClass.objects.filter(is_default=True).values_list("rate", flat=True).first()
    return ZERO if rate is None else rate


def _drafts_checked(lines: list[LineDraft], customer: Customer) -> list[LineDraft]:
    """Each line valid: a Decimal amount, a known kind, a service of this customer's, a rate
    (the default tax class's when none is given)."""
    default_rate = None
    for index, line in enumerate(lines):
        if not isinstance(line.amount, Decimal):
            raise ValidationError({"lines": "Line amounts are Decimal, never float."})
        if line.kind not in LineKind.values:
            raise ValidationError({"lines": f"Unknown line kind '{line.kind}'."})
        if line.service is not None and line.service.customer_id != customer.pk:
            raise ValidationError(
                {f"lines.{index}.service": "This service belongs to another customer."}
            )
        if line.tax_rate is None:
            default_rate = default_rate if default_rate is not None else default_tax_rate()
            line.tax_rate = default_rate
        line.amount = money(line.amount)
        line.tax_rate = Decimal(line.tax_rate)
    return lines


def _totals(lines: list[LineDraft]) -> tuple[Decimal, Decimal]:
    subtotal = sum((line.amount for line in lines), ZERO)
    tax = sum((line.tax_amount for line in lines), ZERO)
    return subtotal, tax


def _line_fields(line: LineDraft) -> dict:
    return {
        "kind": line.kind,
        "description": line.description[:300],
        "service": line.service,
        "plan_change": line.plan_change,
        "period_start": line.period_start,
        "period_end": line.period_end,
        "amount": line.amount,
        "tax_rate": line.tax_rate,
        "tax_amount": line.tax_amount,
    }


@transaction.atomic
def invoice_create(
    *,
    customer: Customer,
    lines: list[LineDraft],
    issue_date: datetime.date | None = None,
    actor=None,
    billing_run: BillingRun | None = None,
) -> Invoice:
    """Issue an invoice: numbered, taxed, due after the payment terms, on the customer's balance;
    existing credit is consumed at once."""
    check_window(issue_date, "issue_date", before=HISTORY, after=AHEAD,
                 what="An invoice's issue date")  # fmt: skip
    if not lines:
        raise ValidationError({"lines": "An invoice needs at least one line."})
    lines = _drafts_checked(lines, customer)
    subtotal, tax = _totals(lines)
    if subtotal + tax < 0:
        raise ValidationError({"lines": "An invoice's total cannot be negative."})
    number = sequence_take(INVOICE_SEQUENCE)  # the sequence lock first (lock order)
    customer = customer_locked(customer)
    settings = billing_settings()
    issue_date = issue_date or timezone.localdate()
    invoice = Invoice(
        number=document_number(settings.invoice_prefix, number),
        customer=customer,
        currency=organisation.currency(),
        subtotal=subtotal,
        tax_total=tax,
        total=subtotal + tax,
        amount_due=subtotal + tax,
        issue_date=issue_date,
        due_date=issue_date + datetime.timedelta(days=settings.payment_terms_days),
        billing_run=billing_run,
    )
    # Field rules here; the constraints (unique number, amounts) are the database's to hold:
    # validating them in Python would cost a query each.
    invoice.full_clean(exclude=["customer", "billing_run"], validate_constraints=False)
    if invoice.total == 0:
        invoice.status, invoice.paid_at = Invoice.Status.PAID, timezone.now()
    invoice.save()
    try:
        with transaction.atomic():
            InvoiceLine.objects.bulk_create(
                [InvoiceLine(invoice=invoice, **_line_fields(line)) for line in lines]
            )
    except IntegrityError as error:
        if not any(name in str(error) for name in CHARGED_ONCE):
            raise
        raise ValidationError(
            {"lines": "A service is already invoiced for part of this period (or its setup fee)."}
        ) from error
    audit_created(invoice, actor=actor)
    balance_change(customer, invoice.total, actor=actor, why=f"invoice {invoice.number}")
    timeline_record(
        customer=customer,
        kind=TimelineEvent.Kind.INVOICE,
        message=f"Invoice {invoice.number} issued: {invoice.total} {invoice.currency}, "
        f"due {invoice.due_date:%d %b %Y}",
        data={"invoice": invoice.pk, "total": str(invoice.total)},
        actor=actor,
    )
    if customer.balance - invoice.total < 0:  # the account had credit: consume it
        credit_apply(customer=customer, actor=actor)
        invoice.refresh_from_db()
    return invoice


@transaction.atomic
def credit_note_create(
    *,
    customer: Customer,
    lines: list[LineDraft],
    reason: str,
    invoice: Invoice | None = None,
    actor=None,
    issue_date: datetime.date | None = None,
) -> CreditNote:
    """Issue a credit note in the customer's favour (line amounts are positive: what is
    credited). Allocated to `invoice` if it is open, then to other open invoices, oldest first;
    the rest stays as credit for the next invoice."""
    check_window(issue_date, "issue_date", before=HISTORY, after=AHEAD,
                 what="A credit note's issue date")  # fmt: skip
    if not lines:
        raise ValidationError({"lines": "A credit note needs at least one line."})
    if not reason.strip():
        raise ValidationError({"reason": "Say why the customer is credited."})
    lines = _drafts_checked(lines, customer)
    if any(line.amount < 0 for line in lines):
        raise ValidationError({"lines": "Credit note lines are positive amounts."})
    if invoice is not None and invoice.customer_id != customer.pk:
        raise ValidationError({"invoice": "This invoice belongs to another customer."})
    subtotal, tax = _totals(lines)
    if subtotal + tax <= 0:
        raise ValidationError({"lines": "A credit note's total must be positive."})
    number = sequence_take(CREDIT_NOTE_SEQUENCE)
    customer = customer_locked(customer)
    settings = billing_settings()
    note = CreditNote(
        number=document_number(settings.credit_note_prefix, number),
        customer=customer,
        invoice=invoice,
        reason=reason.strip()[:300],
        currency=organisation.currency(),
        subtotal=subtotal,
        tax_total=tax,
        total=subtotal + tax,
        amount_unapplied=subtotal + tax,
        issue_date=issue_date or timezone.localdate(),
    )
    note.full_clean(exclude=["customer", "invoice"], validate_constraints=False)
    note.save()
    CreditNoteLine.objects.bulk_create(
        [CreditNoteLine(credit_note=note, **_line_fields(line)) for line in lines]
    )
    audit_created(note, actor=actor)
    balance_change(customer, -note.total, actor=actor, why=f"credit note {note.number}")
    timeline_record(
        customer=customer,
        kind=TimelineEvent.Kind.CREDIT_NOTE,
        message=f"Credit note {note.number}: {note.total} {note.currency} ({note.reason})",
        data={"credit_note": note.pk, "total": str(note.total)},
        actor=actor,
    )
    if invoice is not None:
        target = Invoice.objects.select_for_update().get(pk=invoice.pk)
        if target.status == Invoice.Status.OPEN:
            _allocate(invoice=target, credit_note=note, amount=min(note.total, target.amount_due))
    credit_apply(customer=customer, actor=actor)
    _void_if_cancelled(invoice, actor=actor)
    note.refresh_from_db()
    after_balance_fell(customer=customer, actor=actor)
    return note


def _void_if_cancelled(invoice: Invoice | None, *, actor=None) -> None:
    """An invoice whose credit notes add up to its total is void (cancelled), not paid."""
    if invoice is None:
        return
    invoice = Invoice.objects.get(pk=invoice.pk)
    credited = sum(invoice.credit_notes.values_list("total", flat=True), ZERO)
    paid_by_payments = invoice.allocations.filter(payment__isnull=False).exists()
    if credited >= invoice.total and invoice.amount_due == 0 and not paid_by_payments:
        record_update(invoice, {"status": Invoice.Status.VOID}, actor=actor)


def _allocate(
    *,
    invoice: Invoice,
    amount: Decimal,
    payment: Payment | None = None,
    credit_note: CreditNote | None = None,
) -> Allocation:
    """Settle `amount` of a (locked) invoice from a payment or a credit note."""
    allocation = Allocation.objects.create(
        invoice=invoice, payment=payment, credit_note=credit_note, amount=amount
    )
    invoice.amount_due -= amount
    fields = ["amount_due"]
    if invoice.amount_due == 0:
        invoice.status, invoice.paid_at = Invoice.Status.PAID, timezone.now()
        fields += ["status", "paid_at"]
    invoice.save(update_fields=fields)
    source = payment or credit_note
    attribute = "amount_unallocated" if payment else "amount_unapplied"
    setattr(source, attribute, getattr(source, attribute) - amount)
    source.save(update_fields=[attribute])
    audit_created(allocation)
    if invoice.status == Invoice.Status.PAID:
        timeline_record(
            customer=invoice.customer,
            kind=TimelineEvent.Kind.INVOICE,
            message=f"Invoice {invoice.number} paid",
            data={"invoice": invoice.pk},
        )
    return allocation


def credit_apply(*, customer: Customer, actor=None) -> list[Allocation]:
    """Allocate the customer's credit (credit notes, then payments, oldest first) to their open
    invoices (oldest due first). Runs inside the caller's transaction, customer locked."""
    invoices = list(
        Invoice.objects.select_for_update()
        .filter(customer=customer, status=Invoice.Status.OPEN, amount_due__gt=0)
        .order_by("due_date", "issue_date", "id")
    )
    if not invoices:
        return []
    sources = list(
        CreditNote.objects.select_for_update()
        .filter(customer=customer, amount_unapplied__gt=0)
        .order_by("issue_date", "id")
    ) + list(
        Payment.objects.select_for_update()
        .filter(customer=customer, status=Payment.Status.SUCCEEDED, amount_unallocated__gt=0)
        .order_by("received_on", "id")
    )
    allocations = []
    for source in sources:
        is_payment = isinstance(source, Payment)
        for invoice in invoices:
            available = source.amount_unallocated if is_payment else source.amount_unapplied
            if not available:
                break
            if not invoice.amount_due:
                continue
            invoice.customer = customer
            allocations.append(
                _allocate(
                    invoice=invoice,
                    amount=min(available, invoice.amount_due),
                    payment=source if is_payment else None,
                    credit_note=None if is_payment else source,
                )
            )
    return allocations


#: Sent (inside the transaction) when a payment or a credit lowered a customer's balance, with
#: `customer` and `actor`: dunning lifts its suspensions once the account is settled. A signal,
#: because billing sits below the services that react (dunning restores services, which bill).
balance_fell = Signal()


def after_balance_fell(*, customer: Customer, actor=None) -> None:
    balance_fell.send(sender=Customer, customer=customer, actor=actor)
