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
import uuid
from collections import defaultdict
from decimal import Decimal
from typing import NamedTuple

from dateutil.relativedelta import relativedelta
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from psycopg.types.json import Jsonb

from apps.core.audit import audit_created, resolve_actor
from apps.core.dates import check_window
from apps.core.dispatch import dispatch as send_task
from apps.core.kit import organisation
from apps.core.kit.writes import record_update
from apps.core.models import AuditEntry
from apps.core.money import ZERO
from apps.isp.constants import HISTORY
from apps.isp.models import (
    BillingPeriod,
    BillingRun,
    Customer,
    DocumentSequence,
    Invoice,
    InvoiceLine,
    LineKind,
    PendingCharge,
    Service,
    ServicePlan,
    TimelineEvent,
)
from apps.isp.services.billing import (
    INVOICE_SEQUENCE,
    credit_apply,
    default_tax_rate,
    document_number,
    line_tax,
)
from apps.isp.services.bulk import (
    TIMELINE_COLUMNS,
    audit_copy,
    copy_rows,
    new_ids,
    update_many,
)
from apps.isp.services.numbering import sequence_take
from apps.isp.services.proration import ONE_DAY, effective_price, stretch_amount
from apps.isp.services.setup import billing_settings
from apps.isp.services.subscriptions import due_stretches, service_line_description

BILLING_RUN_TASK = "isp.billing_run"
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


def longest_period() -> int:
    """Months of the longest billing period among the plans sold: how far ahead a run may go
    (one period ahead bills each service once more at most)."""
    periods = ServicePlan.objects.order_by().values_list("billing_period", flat=True).distinct()
    return max((BillingPeriod(period).months for period in periods), default=1)


def billing_run_request(
    *, as_of: datetime.date | None = None, actor=None, dispatch: bool = True
) -> BillingRun:
    """Record a queued run up to `as_of` (default today) and send it to a worker on commit
    (the task `isp.billing_run` of apps/isp/tasks.py, sent by name: tasks sit above services)."""
    check_window(as_of, "as_of", before=HISTORY, after=relativedelta(months=longest_period()),
                 what="A billing run's date")  # fmt: skip
    with transaction.atomic():
        run = BillingRun.objects.create(
            as_of=as_of or timezone.localdate(),
            triggered_by=resolve_actor(actor).name[:150],
            task_id=str(uuid.uuid4()),
        )
        audit_created(run, actor=actor)
        if dispatch:
            send_task(BILLING_RUN_TASK, run.pk, task_id=run.task_id)
    return run


def _set_status(run: BillingRun, actor=None, **fields) -> None:
    record_update(run, fields, actor=actor)


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
            .order_by("customer_id", "id")
            .values_list(*DueService._fields)
        )
        count = _invoice_services(run, [DueService(*row) for row in services], actor=actor)
        _after_chunk_in_transaction(run, count)
    _after_chunk(run, count)
    return customer_ids[-1]


def _after_chunk_in_transaction(run: BillingRun, count: int) -> None:
    """Hook inside the chunk's transaction, before its commit (tests inject a crash here)."""


class DueService(NamedTuple):
    """What billing a service needs, read in one query without building model instances."""

    id: int
    customer_id: int
    billed_until: datetime.date | None
    activated_on: datetime.date
    price_override: Decimal | None
    discount_percent: Decimal
    plan__price: Decimal
    plan__billing_period: str
    plan__name: str
    plan__tax_class__rate: Decimal
    customer__billing_day: int
    customer__balance: Decimal


def _invoice_services(run: BillingRun, services: list[DueService], *, actor=None) -> int:
    """Invoice these services' due stretches: one invoice per customer, written with COPY."""
    by_customer: dict[int, list[tuple]] = defaultdict(list)
    billed_until: dict[int, datetime.date] = {}
    credit: set[int] = set()
    for service in services:
        price = effective_price(
            base=service.plan__price if service.price_override is None else service.price_override,
            discount_percent=service.discount_percent,
        )
        first_day = service.billed_until + ONE_DAY if service.billed_until else service.activated_on
        for start, end, period in due_stretches(
            start=first_day,
            up_to=run.as_of,
            billing_day=service.customer__billing_day,
            months=BillingPeriod(service.plan__billing_period).months,
        ):
            amount = stretch_amount(price, start, end, period)
            rate = service.plan__tax_class__rate
            by_customer[service.customer_id].append(
                (service.id, start, end, amount, rate, line_tax(amount, rate),
                 service_line_description(service.plan__name, start, end), LineKind.SERVICE)
            )  # fmt: skip
            billed_until[service.id] = end
        if service.customer__balance < 0:
            credit.add(service.customer_id)
    if not by_customer:
        return 0
    charged = _pending_charges(by_customer)
    settings, currency = billing_settings(), organisation.currency()
    first = sequence_take(INVOICE_SEQUENCE, count=len(by_customer))
    ids = new_ids(Invoice, len(by_customer))
    due_date = run.as_of + datetime.timedelta(days=settings.payment_terms_days)
    now = timezone.now()
    who = resolve_actor(actor)
    invoices, lines, events = [], [], []
    charge_invoice: dict[int, int] = {}
    total_invoiced = ZERO
    for offset, (customer_id, charges) in enumerate(by_customer.items()):
        subtotal = sum((charge[3] for charge in charges), ZERO)
        tax = sum((charge[5] for charge in charges), ZERO)
        total = subtotal + tax
        total_invoiced += total
        number = document_number(settings.invoice_prefix, first + offset)
        invoice_id = ids[offset]
        invoices.append(
            (invoice_id, currency, subtotal, tax, total, run.as_of, now, number,
             Invoice.Status.OPEN if total else Invoice.Status.PAID, due_date, total,
             None if total else now, run.pk, customer_id)
        )  # fmt: skip
        for service_id, start, end, amount, rate, tax_amount, description, kind in charges:
            lines.append(
                (invoice_id, kind, description, service_id, start, end, amount, rate, tax_amount)
            )  # fmt: skip
        for charge_id in charged.get(customer_id, ()):
            charge_invoice[charge_id] = invoice_id
        events.append(
            (customer_id, TimelineEvent.Kind.INVOICE,
             f"Invoice {number} issued: {total} {currency}, due {due_date:%d %b %Y} "
             "(billing run)",
             Jsonb({"invoice": invoice_id, "total": str(total), "run": run.pk}),
             who.name[:150], now)
        )  # fmt: skip
    copy_rows(Invoice, INVOICE_COLUMNS, invoices)
    copy_rows(InvoiceLine, LINE_COLUMNS, lines)
    copy_rows(TimelineEvent, TIMELINE_COLUMNS, events)
    update_many(Service, list(billed_until), {"billed_until": ("date", billed_until.values())})
    if charge_invoice:
        update_many(PendingCharge, list(charge_invoice),
                    {"invoice_id": ("bigint", charge_invoice.values())})  # fmt: skip
    update_many(
        Customer,
        [row[-1] for row in invoices],
        {"balance": ("numeric", [row[4] for row in invoices])},
        add={"balance"},
    )
    _audit_bulk(run, invoices, len(billed_until), total_invoiced, actor, now,
                charges=len(charge_invoice))  # fmt: skip
    BillingRun.objects.filter(pk=run.pk).update(
        invoices_created=F("invoices_created") + len(invoices),
        total_invoiced=F("total_invoiced") + total_invoiced,
    )
    for customer in Customer.objects.filter(pk__in=credit).order_by("pk"):
        credit_apply(customer=customer, actor=actor)  # credit on the account pays at once
    return len(invoices)


def _pending_charges(by_customer: dict[int, list[tuple]]) -> dict[int, list[int]]:
    """Add the customers' pending charges (PendingCharge: another app's, e.g. billable time)
    to their invoices as adjustment lines; answers the charges' ids by customer. Locked, so
    that a charge goes on one invoice only."""
    charges = (
        PendingCharge.objects.select_for_update()
        .filter(customer_id__in=list(by_customer), invoice__isnull=True)
        .order_by("customer_id", "id")
    )
    rate = default_tax_rate()
    found: dict[int, list[int]] = defaultdict(list)
    for charge in charges:
        by_customer[charge.customer_id].append(
            (None, None, None, charge.amount, rate, line_tax(charge.amount, rate),
             charge.description, LineKind.ADJUSTMENT)
        )  # fmt: skip
        found[charge.customer_id].append(charge.pk)
    return found


INVOICE_COLUMNS = (
    "id", "currency", "subtotal", "tax_total", "total", "issue_date", "created_at", "number",
    "status", "due_date", "amount_due", "paid_at", "billing_run_id", "customer_id",
)  # fmt: skip
LINE_COLUMNS = (
    "invoice_id", "kind", "description", "service_id", "period_start", "period_end", "amount",
    "tax_rate", "tax_amount",
)  # fmt: skip


def _audit_bulk(run, invoices, services: int, total: Decimal, actor, now, charges: int = 0) -> None:
    """One audit entry per invoice, and one each for the services and balances the chunk moved
    (copied in bulk like the rows they describe)."""
    entries = [
        (AuditEntry.CREATE, "isp.invoice", row[0], row[7],
         {"number": [None, row[7]], "customer": [None, row[-1]], "total": [None, str(row[4])],
          "billing_run": [None, run.pk]})
        for row in invoices
    ]  # fmt: skip
    entries.append(
        (AuditEntry.UPDATE, "isp.service", "",
         f"billed_until of {services} services (billing run {run.pk})",
         {"billed_until": [None, f"moved by billing run {run.pk}"]})
    )  # fmt: skip
    entries.append(
        (AuditEntry.UPDATE, "isp.customer", "",
         f"balance of {len(invoices)} customers (billing run {run.pk})",
         {"balance": [None, f"+{total} invoiced by billing run {run.pk}"]})
    )  # fmt: skip
    if charges:
        entries.append(
            (AuditEntry.UPDATE, "isp.pendingcharge", "",
             f"{charges} pending charges invoiced (billing run {run.pk})",
             {"invoice": [None, f"set by billing run {run.pk}"]})
        )  # fmt: skip
    audit_copy(entries, actor=actor, now=now)
