"""Billing runs: one invoice per billing account and period, for all its subscriptions.

What a run of period P does (`run_execute`): every account with a billable subscription
(active or past due) or a pending line (a seat change's proration) gets one invoice for P: a
recurring line per subscription for the days of P it has not been billed for yet (the whole
month, or from its activation day, prorated: periods.py), its pending lines, the account's
credit, tax. A downgrade waiting for the period's end is applied first, so P is billed at the
new plan's price.

Why it never bills twice nor leaves a gap, whatever reruns, crashes or concurrent workers do:
* accounts are taken in chunks, each in one transaction that first locks the chunk's account
  rows (in pk order) and only then reads which of them already have P's invoice: a second
  worker on the same chunk waits on those locks and, once it has them, sees the first one's
  committed invoices and skips those accounts;
* the chunk's invoice numbers are taken as one block under the sequence's row lock, in that
  same transaction: a crash rolls the chunk back whole, numbers included, and a rerun bills
  what is still unbilled;
* and the database holds the rule whatever the Python does: one `period` invoice per account
  and period, one recurring line per subscription and period, one line per idempotency key.
"""

from __future__ import annotations

import datetime
from collections import defaultdict

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from apps.platform.billing.models import (
    BillingAccount,
    BillingRun,
    Invoice,
    InvoiceLine,
    SubscriptionBilling,
)
from apps.platform.billing.services import accounts as account_services
from apps.platform.billing.services.invoicing import (
    LineSpec,
    invoice_fields,
    line_row,
    sequence_take,
    totals,
)
from apps.platform.billing.services.periods import ONE_DAY, period_of, prorate
from apps.platform.licensing import services as licensing
from apps.platform.licensing.models import Subscription

CHUNK_ACCOUNTS = 250
BILLABLE = (Subscription.Status.ACTIVE, Subscription.Status.PAST_DUE)


def _after_chunk_in_transaction(run: BillingRun, count: int) -> None:
    """A hook for the crash tests (rows written, numbers taken, nothing committed yet)."""


def run_request(*, period_start: datetime.date, shards: int = 1) -> BillingRun:
    if period_start.day != 1:
        period_start = period_of(period_start)[0]
    return BillingRun.objects.create(period_start=period_start, errors=[], shards=shards)


def accounts_due(period_start: datetime.date):
    """Ids of the accounts that may owe something for the period."""
    tenants = Subscription.objects.filter(status__in=BILLABLE).values("tenant_id")
    pending = InvoiceLine.objects.filter(invoice__isnull=True).values("account_id")
    return (
        BillingAccount.objects.filter(Q(tenant_id__in=tenants) | Q(pk__in=pending))
        .exclude(invoices__kind=Invoice.Kind.PERIOD, invoices__period_start=period_start)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def run_execute(*, run: BillingRun, shard: int = 0, shards: int = 1) -> BillingRun:
    """Bill every due account of the run's period (those with pk % shards == shard)."""
    ids = [pk for pk in accounts_due(run.period_start) if pk % shards == shard]
    created = 0
    for at in range(0, len(ids), CHUNK_ACCOUNTS):
        created += _bill_chunk(run, ids[at : at + CHUNK_ACCOUNTS])
    BillingRun.objects.filter(pk=run.pk).update(
        invoices_created=F("invoices_created") + created, shards_done=F("shards_done") + 1
    )
    BillingRun.objects.filter(pk=run.pk, shards_done__gte=F("shards")).update(
        status=BillingRun.Status.SUCCEEDED, finished_at=timezone.now()
    )
    run.refresh_from_db()
    return run


def _apply_downgrades(subscriptions: list[Subscription], period_start) -> None:
    for subscription in subscriptions:
        billing = subscription.billing
        if billing.pending_plan_id is None:
            continue
        plan = billing.pending_plan
        licensing.subscription_change_plan(
            subscription=subscription, plan=plan, actor="billing",
            note=f"Downgrade at the end of the period, from {period_start:%Y-%m-%d}",
        )  # fmt: skip
        billing.price = account_services.price_current(plan)
        billing.pending_plan = None
        billing.save(update_fields=["price", "pending_plan", "updated_at"])
        subscription.plan = plan


def _recurring(subscription: Subscription, start: datetime.date, end: datetime.date):
    billing = subscription.billing
    if billing.billed_until is not None:
        start = max(start, billing.billed_until + ONE_DAY)
    elif subscription.current_period_start is not None:
        start = max(start, timezone.localtime(subscription.current_period_start).date())
    if start > end:
        return None
    amount = prorate(account_services.period_amount(billing), start, end)
    price = billing.price
    quantity = account_services.billable_seats(billing) if price.per_seat else 1
    return LineSpec(
        key=f"recurring:{subscription.pk}:{start:%Y-%m-%d}",
        kind=InvoiceLine.Kind.RECURRING,
        description=f"{subscription.app.name} {subscription.plan.name}"
        + (f" × {quantity} seats" if price.per_seat else ""),
        period_start=start, period_end=end, amount=amount,
        subscription_id=subscription.pk, app_key=subscription.app.key, quantity=quantity,
    )  # fmt: skip


@transaction.atomic
def _bill_chunk(run: BillingRun, account_ids: list[int]) -> int:
    start, end = period_of(run.period_start)
    # Only what the invoices need: the encrypted contact and card fields are not decrypted.
    accounts = list(BillingAccount.objects.select_for_update().filter(pk__in=account_ids)
                    .only("id", "tenant_id", "currency", "tax_rate", "credit_balance")
                    .order_by("pk"))  # fmt: skip
    billed = set(
        Invoice.objects.filter(account_id__in=account_ids, kind=Invoice.Kind.PERIOD,
                               period_start=start).values_list("account_id", flat=True)
    )  # fmt: skip
    accounts = [a for a in accounts if a.pk not in billed]
    by_tenant = {a.tenant_id: a for a in accounts}
    subscriptions = list(
        Subscription.objects.filter(tenant_id__in=by_tenant, status__in=BILLABLE)
        .select_related("app", "plan", "billing__price", "billing__pending_plan")
        .order_by("pk")
    )
    missing = [s for s in subscriptions if not hasattr(s, "billing")]
    if missing:
        prices = {}
        rows = []
        for s in missing:
            if s.plan_id not in prices:
                prices[s.plan_id] = account_services.price_current(s.plan)
            rows.append(SubscriptionBilling(subscription=s, price=prices[s.plan_id]))
        SubscriptionBilling.objects.bulk_create(rows)
        for s, row in zip(missing, rows, strict=True):
            s.billing = row
    _apply_downgrades([s for s in subscriptions if s.billing.pending_plan_id], start)

    specs: dict[int, list[LineSpec]] = defaultdict(list)
    billed_subscriptions = []
    for subscription in subscriptions:
        spec = _recurring(subscription, start, end)
        if spec is not None:
            specs[by_tenant[subscription.tenant_id].pk].append(spec)
            billed_subscriptions.append(subscription.billing)
    pending = list(InvoiceLine.objects.filter(account_id__in=[a.pk for a in accounts],
                                              invoice__isnull=True).order_by("pk"))  # fmt: skip
    pending_by_account = defaultdict(list)
    for line in pending:
        pending_by_account[line.account_id].append(line)

    to_bill = [a for a in accounts if specs.get(a.pk) or pending_by_account.get(a.pk)]
    if not to_bill:
        return 0
    today = timezone.localdate()
    first = sequence_take(len(to_bill))
    invoices, credit_changes = [], []
    for number, account in enumerate(to_bill, first):
        amounts = [s.amount for s in specs.get(account.pk, [])]
        amounts += [line.amount for line in pending_by_account.get(account.pk, [])]
        t = totals(amounts, credit_balance=account.credit_balance, tax_rate=account.tax_rate)
        if t.credit_left != account.credit_balance:
            account.credit_balance = t.credit_left
            credit_changes.append(account)
        invoices.append(Invoice(number=number, kind=Invoice.Kind.PERIOD, period_start=start,
                                period_end=end, billing_run=run,
                                **invoice_fields(account, t, today)))  # fmt: skip
    Invoice.objects.bulk_create(invoices)
    by_account = {invoice.account_id: invoice for invoice in invoices}
    InvoiceLine.objects.bulk_create(
        [line_row(spec, pk, by_account[pk]) for pk, lines in specs.items() for spec in lines]
    )
    for line in pending:
        line.invoice = by_account[line.account_id]
    if pending:
        InvoiceLine.objects.bulk_update(pending, ["invoice"])
    # Every billed subscription is now billed to the period's end: one UPDATE (a bulk_update
    # would build a CASE of one branch per row).
    SubscriptionBilling.objects.filter(pk__in=[b.pk for b in billed_subscriptions]).update(
        billed_until=end
    )
    for billing in billed_subscriptions:
        billing.billed_until = end
    if credit_changes:
        BillingAccount.objects.bulk_update(credit_changes, ["credit_balance"])
    _after_chunk_in_transaction(run, len(invoices))
    return len(invoices)
