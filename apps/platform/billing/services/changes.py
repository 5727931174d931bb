"""Changes of a subscription during its period: plan changes, seats, trials (rules:
periods.py)."""

from __future__ import annotations

import datetime
import uuid

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django_tenants.utils import schema_context

from apps.core.audit import audit_record
from apps.core.registry import registry
from apps.platform.billing.models import BillingAccount, Invoice, InvoiceLine, SubscriptionBilling
from apps.platform.billing.services.accounts import (
    account_ensure,
    billable_seats,
    billing_of,
    billing_peek,
    period_amount,
    price_current,
    price_peek,
)
from apps.platform.billing.services.collection import invoice_collect
from apps.platform.billing.services.invoicing import LineSpec, issue_immediate, totals
from apps.platform.billing.services.periods import next_period_start, period_of, prorate
from apps.platform.catalog.models import Plan
from apps.platform.licensing import services as licensing
from apps.platform.licensing.models import Subscription

Status = Subscription.Status


def _locked(subscription: Subscription) -> tuple[BillingAccount, Subscription, SubscriptionBilling]:
    """Account first, then the subscription: the same order as runs and collection."""
    account = account_ensure(tenant=subscription.tenant)
    account = BillingAccount.objects.select_for_update().get(pk=account.pk)
    subscription = (Subscription.objects.select_for_update().select_related("app", "plan")
                    .get(pk=subscription.pk))  # fmt: skip
    billing = billing_of(subscription)
    billing = (
        SubscriptionBilling.objects.select_for_update().select_related("price").get(pk=billing.pk)
    )
    return account, subscription, billing


def _collect_on_commit(invoice: Invoice | None) -> None:
    if invoice is not None and invoice.status == Invoice.Status.OPEN:
        transaction.on_commit(lambda: invoice_collect(invoice=invoice))


@transaction.atomic
def plan_change(*, subscription: Subscription, plan: Plan, actor: str) -> Invoice | None:
    """An upgrade (a higher period amount) now, prorated on an immediate invoice; a downgrade
    at the end of the period; during a trial either one at once, with nothing to prorate.
    Returns the upgrade's invoice, if any."""
    account, subscription, billing = _locked(subscription)
    if plan.app_id != subscription.app_id:
        raise ValidationError({"plan": f"'{plan}' is not a plan of {subscription.app.name}."})
    new_price = price_current(plan)
    old_amount = period_amount(billing)
    new_amount = period_amount(billing, new_price)
    today = timezone.localdate()
    billed = billing.billed_until is not None and billing.billed_until >= today
    if subscription.status == Status.TRIAL or not billed or new_amount == old_amount:
        licensing.subscription_change_plan(subscription=subscription, plan=plan, actor=actor)
        billing.price, billing.pending_plan = new_price, None
        billing.save(update_fields=["price", "pending_plan", "updated_at"])
        return None
    if new_amount < old_amount:
        if plan.pk == subscription.plan_id:  # back to the plan it is on: no downgrade left
            billing.pending_plan = None
        else:
            billing.pending_plan = plan
        billing.save(update_fields=["pending_plan", "updated_at"])
        audit_record(action="schedule_downgrade", instance=billing,
                     changes={"pending_plan": [None, plan.pk]}, actor=actor)  # fmt: skip
        return None
    end = billing.billed_until
    tag = uuid.uuid4().hex[:12]
    name = subscription.app.name
    specs = [
        LineSpec(key=f"upgrade:{subscription.pk}:{tag}:credit",
                 kind=InvoiceLine.Kind.PRORATION_CREDIT,
                 description=f"Unused time on {name} {subscription.plan.name}",
                 period_start=today, period_end=end, amount=-prorate(old_amount, today, end),
                 subscription_id=subscription.pk, app_key=subscription.app.key),
        LineSpec(key=f"upgrade:{subscription.pk}:{tag}:charge",
                 kind=InvoiceLine.Kind.PRORATION_CHARGE,
                 description=f"Remaining time on {name} {plan.name}",
                 period_start=today, period_end=end, amount=prorate(new_amount, today, end),
                 subscription_id=subscription.pk, app_key=subscription.app.key),
    ]  # fmt: skip
    licensing.subscription_change_plan(subscription=subscription, plan=plan, actor=actor)
    billing.price, billing.pending_plan = new_price, None
    billing.save(update_fields=["price", "pending_plan", "updated_at"])
    invoice = issue_immediate(account=account, specs=specs, today=today)
    _collect_on_commit(invoice)
    return invoice


def seats_count(subscription: Subscription) -> int | None:
    """The seats the licensing meter counts now in the tenant's schema (None: no meter)."""
    meter = billing_of(subscription).price.seat_meter
    counter = registry.usage_counters.get(meter) if meter else None
    if counter is None:
        return None
    with schema_context(subscription.tenant.schema_name):
        return counter()


@transaction.atomic
def seats_sync(*, subscription: Subscription, actor: str, count: int | None = None):
    """Bill a change of seats from today to the end of what is billed, prorated by day, as a
    pending line of the next invoice. `count` defaults to the meter's count."""
    if count is None:
        count = seats_count(subscription)
        if count is None:
            return None
    if count < 0:
        raise ValidationError({"seats": "Seats are zero or more."})
    account, subscription, billing = _locked(subscription)
    if count == billing.seats:
        return None
    today = timezone.localdate()
    before = billing.seats
    line = None
    price = billing.price
    delta = billable_seats(billing, count) - billable_seats(billing)
    billed = billing.billed_until is not None and billing.billed_until >= today
    if price.per_seat and delta and billed and subscription.status != Status.TRIAL:
        end = billing.billed_until
        amount = prorate(price.amount * delta, today, end)
        line = InvoiceLine.objects.create(
            account=account, subscription=subscription, app_key=subscription.app.key,
            kind=InvoiceLine.Kind.SEATS, key=f"seats:{subscription.pk}:{uuid.uuid4().hex[:12]}",
            description=f"{subscription.app.name}: {before} → {count} seats",
            period_start=today, period_end=end, quantity=abs(delta), amount=amount,
        )  # fmt: skip
    billing.seats = count
    billing.save(update_fields=["seats", "updated_at"])
    audit_record(action="seats", instance=billing, changes={"seats": [before, count]},
                 actor=actor)  # fmt: skip
    return line


def trials_process(*, actor: str = "billing") -> dict[str, int]:
    """Trials that have ended: active with a first invoice when a card is on file, else
    cancelled (the app is already off: licensing ends a trial at its end date)."""
    now = timezone.now()
    outcome = {"converted": 0, "expired": 0}
    ended = Subscription.objects.filter(status=Status.TRIAL, trial_ends_at__lte=now)
    for subscription in ended.select_related("tenant").order_by("pk"):
        with transaction.atomic():
            account, subscription, billing = _locked(subscription)
            if subscription.status != Status.TRIAL:
                continue
            if not account.has_payment_method:
                licensing.subscription_cancel(
                    subscription=subscription, actor=actor, note="Trial ended, no payment method"
                )
                outcome["expired"] += 1
                continue
            licensing.subscription_activate(subscription=subscription, actor=actor,
                                            note="Trial ended: converted")  # fmt: skip
            day = timezone.localtime(subscription.trial_ends_at).date()
            end = period_of(day)[1]
            spec = LineSpec(
                key=f"recurring:{subscription.pk}:{day:%Y-%m-%d}",
                kind=InvoiceLine.Kind.RECURRING,
                description=f"{subscription.app.name} {subscription.plan.name}",
                period_start=day, period_end=end,
                amount=prorate(period_amount(billing), day, end),
                subscription_id=subscription.pk, app_key=subscription.app.key,
            )  # fmt: skip
            billing.billed_until = end
            billing.save(update_fields=["billed_until", "updated_at"])
            _collect_on_commit(issue_immediate(account=account, specs=[spec], today=day))
            outcome["converted"] += 1
    return outcome


def upcoming(*, account: BillingAccount) -> dict:
    """A preview of the account's next period invoice: recurring lines at each subscription's
    price (a pending downgrade's new price), the pending proration lines, credit and tax."""
    start = next_period_start(timezone.localdate())
    starts_at = timezone.make_aware(datetime.datetime.combine(start, datetime.time()))
    end = period_of(start)[1]
    lines = []
    subscriptions = Subscription.objects.filter(
        Q(status__in=(Status.ACTIVE, Status.PAST_DUE)) | Q(status=Status.TRIAL,
                                                          trial_ends_at__lt=starts_at),
        tenant_id=account.tenant_id,
    ).select_related("app", "plan").order_by("pk")  # fmt: skip
    for subscription in subscriptions:
        billing = billing_peek(subscription)
        plan = billing.pending_plan or subscription.plan
        price = price_peek(plan) if billing.pending_plan else billing.price
        amount = period_amount(billing, price)
        lines.append({"kind": "recurring", "description": f"{subscription.app.name} {plan.name}",
                      "period_start": start, "period_end": end, "amount": amount,
                      "app": subscription.app.key})  # fmt: skip
    for line in InvoiceLine.objects.filter(account=account, invoice__isnull=True).order_by("pk"):
        lines.append({"kind": line.kind, "description": line.description,
                      "period_start": line.period_start, "period_end": line.period_end,
                      "amount": line.amount, "app": line.app_key})  # fmt: skip
    t = totals([line["amount"] for line in lines], credit_balance=account.credit_balance,
               tax_rate=account.tax_rate)  # fmt: skip
    return {"period_start": start, "period_end": end, "lines": lines, "subtotal": t.subtotal,
            "credit_applied": t.credit_applied, "tax": t.tax, "total": t.total,
            "currency": account.currency}  # fmt: skip
