"""Billing runs: recurring invoicing of every service due up to a date, fast and idempotent.

What a run does (`billing_run_execute`): every active or suspended service whose next stretch
(the day after `billed_until`; for a service never billed, its activation day) starts on or
before `run.as_of` is invoiced — in advance, by the rules of proration.py — and again and
again until nothing is due, so a service two periods behind gets both. A customer gets one
invoice per batch, with one line per service and period, issued on `as_of`; credit on the
account is consumed at once, as for any invoice (billing.py).

How it stays fast: customers are taken in chunks (CHUNK_CUSTOMERS), each in one transaction
with set-based writes: invoices, lines, timeline entries and audit entries by bulk INSERT;
balances and `billed_until` by one UPDATE … FROM (VALUES …) each; invoice numbers reserved as a
block (`sequence_take(count=n)`).

Why it never bills twice nor leaves a gap, whatever reruns, crashes or concurrent workers do:
* each chunk's transaction first takes the invoice sequence's row lock, and only then reads
  what is still due. A second worker on the same tenant waits on that lock; when it gets it,
  the first one's chunk is committed and, read afresh, no longer due. Numbers are taken under
  the same lock, so they follow each other without gaps across workers.
* a crash rolls the chunk back whole (numbers included); a rerun bills what is still due.
* and as the last line of defence, the database refuses two SERVICE lines of one service
  that overlap (InvoiceLine's exclusion constraint): such a chunk fails, is retried customer
  by customer, and the customers that still fail are recorded in `BillingRun.errors`.
"""

import datetime
from collections import defaultdict
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from apps.core.audit import audit_created, audit_updated, resolve_actor, snapshot
from apps.core.context import ip_var, source_var
from apps.core.models import AuditEntry
from apps.core.money import ZERO
from apps.isp.models import (
    BillingRun,
    Customer,
    DocumentSequence,
    Invoice,
    InvoiceLine,
    Service,
    TimelineEvent,
)
from apps.isp.services.billing import (
    INVOICE_SEQUENCE,
    credit_apply,
    document_number,
    line_tax,
)
from apps.isp.services.numbering import sequence_take
from apps.isp.services.setup import billing_settings
from apps.isp.services.subscriptions import service_due_lines

#: Customers invoiced per transaction.
CHUNK_CUSTOMERS = 1000
BILLABLE = (Service.Status.ACTIVE, Service.Status.SUSPENDED)


def _after_chunk(run: BillingRun, invoices: int) -> None:
    """Called after each chunk is committed (tests inject a crash here)."""


def due_services(as_of: datetime.date):
    """Services with a stretch starting on or before `as_of` not yet invoiced."""
    return Service.objects.filter(status__in=BILLABLE, activated_on__isnull=False).filter(
        Q(billed_until__lt=as_of) | Q(billed_until__isnull=True, activated_on__lte=as_of)
    )


def billing_run_request(
    *, as_of: datetime.date | None = None, actor=None, dispatch: bool = True
) -> BillingRun:
    """Record a queued run up to `as_of` (default today) and send it to a worker on commit."""
    import uuid

    from apps.isp.tasks import billing_run as billing_run_task

    with transaction.atomic():
        run = BillingRun.objects.create(
            as_of=as_of or timezone.localdate(),
            triggered_by=resolve_actor(actor).name[:150],
            task_id=str(uuid.uuid4()),
        )
        audit_created(run, actor=actor)
        if dispatch:
            transaction.on_commit(
                lambda: billing_run_task.apply_async((run.pk,), task_id=run.task_id)
            )
    return run


def _set_status(run: BillingRun, actor=None, **fields) -> None:
    before = snapshot(run, fields=list(fields))
    for name, value in fields.items():
        setattr(run, name, value)
    run.save(update_fields=list(fields))
    audit_updated(run, before, actor=actor)


def billing_run_execute(*, run: BillingRun, actor=None) -> BillingRun:
    """Invoice everything due up to `run.as_of` (see the module docstring)."""
    with transaction.atomic():
        _set_status(
            run, actor, status=BillingRun.Status.RUNNING, started_at=timezone.now(),
            finished_at=None,
        )  # fmt: skip
    DocumentSequence.objects.get_or_create(key=INVOICE_SEQUENCE)
    errors = []
    after = 0
    while True:
        try:
            last = _bill_chunk(run, after=after, actor=actor)
        except Exception:  # noqa: BLE001 - one bad account must not stop the tenant's run
            last = None
            ids = _due_customer_ids(run.as_of, after=after, limit=CHUNK_CUSTOMERS)
            for customer_id in ids:
                try:
                    _bill_chunk(run, after=customer_id - 1, actor=actor, only=customer_id)
                except Exception as error:  # noqa: BLE001
                    errors.append({"customer": customer_id, "error": str(error)[:300]})
            if ids:
                last = ids[-1]
        if last is None:
            break
        after = last
    run.refresh_from_db()
    with transaction.atomic():
        _set_status(
            run,
            actor,
            status=BillingRun.Status.FAILED if errors else BillingRun.Status.SUCCEEDED,
            finished_at=timezone.now(),
            errors=(run.errors or []) + errors,
        )
    return run


def _due_customer_ids(as_of, *, after: int, limit: int) -> list[int]:
    return list(
        due_services(as_of)
        .filter(customer_id__gt=after)
        .order_by("customer_id")
        .values_list("customer_id", flat=True)
        .distinct()[:limit]
    )


def _bill_chunk(run: BillingRun, *, after: int, actor=None, only: int | None = None) -> int | None:
    """Invoice the next chunk of due customers (id > after) in one transaction. Returns the
    last customer id it looked at, None when nothing was due."""
    with transaction.atomic():
        # The lock first, then what is due: a concurrent worker's chunk is committed by now.
        DocumentSequence.objects.select_for_update().get(key=INVOICE_SEQUENCE)
        if only is not None:
            customer_ids = [only]
        else:
            customer_ids = _due_customer_ids(run.as_of, after=after, limit=CHUNK_CUSTOMERS)
            if not customer_ids:
                return None
        services = list(
            due_services(run.as_of)
            .filter(customer_id__in=customer_ids)
            .select_related("plan__tax_class", "customer")
            .order_by("customer_id", "id")
        )
        count = _invoice_services(run, services, actor=actor)
        _after_chunk_in_transaction(run, count)
    _after_chunk(run, count)
    return customer_ids[-1]


def _after_chunk_in_transaction(run: BillingRun, count: int) -> None:
    """Hook inside the chunk's transaction, before its commit (tests inject a crash here)."""


def _invoice_services(run: BillingRun, services: list[Service], *, actor=None) -> int:
    by_customer: dict[int, list] = defaultdict(list)
    customers: dict[int, Customer] = {}
    billed_until: dict[int, datetime.date] = {}
    for service in services:
        customer = service.customer
        customers[customer.pk] = customer
        lines = service_due_lines(service, billing_day=customer.billing_day, up_to=run.as_of)
        if lines:
            by_customer[customer.pk].extend(lines)
            billed_until[service.pk] = lines[-1].period_end
    if not by_customer:
        return 0
    settings = billing_settings()
    first = sequence_take(INVOICE_SEQUENCE, count=len(by_customer))
    due_date = run.as_of + datetime.timedelta(days=settings.payment_terms_days)
    now = timezone.now()
    invoices = []
    for offset, (customer_id, lines) in enumerate(by_customer.items()):
        subtotal = sum((line.amount for line in lines), ZERO)
        tax = sum((line_tax(line.amount, line.tax_rate) for line in lines), ZERO)
        total = subtotal + tax
        invoices.append(
            Invoice(
                number=document_number(settings.invoice_prefix, first + offset),
                customer_id=customer_id,
                currency=settings.currency,
                subtotal=subtotal,
                tax_total=tax,
                total=total,
                amount_due=total,
                status=Invoice.Status.OPEN if total else Invoice.Status.PAID,
                paid_at=None if total else now,
                issue_date=run.as_of,
                due_date=due_date,
                billing_run=run,
            )
        )
    Invoice.objects.bulk_create(invoices)
    InvoiceLine.objects.bulk_create(
        [
            InvoiceLine(
                invoice_id=invoice.pk,
                kind=line.kind,
                description=line.description[:300],
                service_id=line.service.pk,
                period_start=line.period_start,
                period_end=line.period_end,
                amount=line.amount,
                tax_rate=line.tax_rate,
                tax_amount=line_tax(line.amount, line.tax_rate),
            )
            for invoice, lines in zip(invoices, by_customer.values(), strict=True)
            for line in lines
        ]
    )
    who = resolve_actor(actor)
    TimelineEvent.objects.bulk_create(
        [
            TimelineEvent(
                customer_id=invoice.customer_id,
                kind=TimelineEvent.Kind.INVOICE,
                message=f"Invoice {invoice.number} issued: {invoice.total} {invoice.currency}, "
                f"due {invoice.due_date:%d %b %Y} (billing run)",
                data={"invoice": invoice.pk, "total": str(invoice.total), "run": run.pk},
                actor=who.name[:150],
            )
            for invoice in invoices
        ]
    )
    _set_values(Service, "billed_until", "date", [(pk, day) for pk, day in billed_until.items()])
    _set_values(
        Customer,
        "balance",
        "numeric",
        [(invoice.customer_id, invoice.total) for invoice in invoices],
        add=True,
    )
    total = sum((invoice.total for invoice in invoices), ZERO)
    _audit_bulk(run, invoices, len(billed_until), total, who)
    BillingRun.objects.filter(pk=run.pk).update(
        invoices_created=F("invoices_created") + len(invoices),
        total_invoiced=F("total_invoiced") + total,
    )
    for customer_id in by_customer:
        customer = customers[customer_id]
        if customer.balance < 0:  # credit on the account: the new invoice consumes it
            customer.balance += next(i.total for i in invoices if i.customer_id == customer_id)
            credit_apply(customer=customer, actor=actor)
    return len(invoices)


def _set_values(model, field: str, sql_type: str, rows: list[tuple], add: bool = False) -> None:
    """One UPDATE … FROM (VALUES …) setting (or adding to) `field` for many rows."""
    if not rows:
        return
    table = model._meta.db_table
    placeholders = ", ".join(["(%s, %s)"] * len(rows))
    value = f't."{field}" + v.value::{sql_type}' if add else f"v.value::{sql_type}"
    touched = (
        ', "updated_at" = now()' if any(f.name == "updated_at" for f in model._meta.fields) else ""
    )
    params = [item for row in rows for item in row]
    with connection.cursor() as cursor:
        cursor.execute(
            f'UPDATE "{table}" AS t SET "{field}" = {value}{touched} '
            f"FROM (VALUES {placeholders}) AS v(id, value) WHERE t.id = v.id",
            params,
        )


def _audit_bulk(run, invoices, services: int, total: Decimal, who) -> None:
    """One audit entry per invoice, and one each for the services and balances the chunk moved
    (written in bulk like the rows they describe)."""
    from apps.core.audit import _current_request_id

    common = {
        "actor": who.name[:150],
        "actor_id": who.id,
        "actor_type": who.type,
        "tenant": connection.schema_name,
        "request_id": _current_request_id(),
        "ip": ip_var.get(),
        "source": source_var.get(),
    }
    entries = [
        AuditEntry(
            action=AuditEntry.CREATE,
            object_type="isp.invoice",
            object_id=str(invoice.pk),
            object_repr=invoice.number,
            changes={
                "number": [None, invoice.number],
                "customer": [None, invoice.customer_id],
                "total": [None, str(invoice.total)],
                "billing_run": [None, run.pk],
            },
            **common,
        )
        for invoice in invoices
    ]
    entries += [
        AuditEntry(
            action=AuditEntry.UPDATE,
            object_type="isp.service",
            object_repr=f"billed_until of {services} services (billing run {run.pk})",
            changes={"billed_until": ["…", f"billing run {run.pk}"]},
            **common,
        ),
        AuditEntry(
            action=AuditEntry.UPDATE,
            object_type="isp.customer",
            object_repr=f"balance of {len(invoices)} customers (billing run {run.pk})",
            changes={"balance": ["…", f"+{total} invoiced by billing run {run.pk}"]},
            **common,
        ),
    ]
    AuditEntry.objects.bulk_create(entries)
