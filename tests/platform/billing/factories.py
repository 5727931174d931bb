"""Rows for platform billing tests: tenants as public-schema rows (no schema: billing never
enters one), their subscriptions and billing accounts, committed or not."""

import datetime
import itertools
import uuid

from apps.platform.billing.models import (
    BillingAccount,
    BillingRun,
    BillingSequence,
    Invoice,
    InvoiceLine,
    Payment,
    SubscriptionBilling,
)
from apps.platform.catalog.models import Plan
from apps.platform.licensing.models import Subscription, SubscriptionEvent
from apps.platform.tenants.models import Tenant

_n = itertools.count(1)
GOOD_CARD = "4242 4242 4242 4242"
DECLINED_CARD = "4000 0000 0000 0002"


def plan(app: str, key: str) -> Plan:
    return Plan.objects.select_related("app").get(app__key=app, key=key)


def row_tenants(count: int, *, apps=(("crm", "pro"), ("projects", "basic")), since=None,
                card: str = "4242424242424242") -> list[Tenant]:  # fmt: skip
    """`count` tenants (rows only) each with an active subscription per app and an account."""
    tag = uuid.uuid4().hex[:6]
    since = since or datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
    tenants = Tenant.objects.bulk_create(
        [
            Tenant(
                schema_name=f"t_{tag}_{i}",
                slug=f"t-{tag}-{i}",
                name=f"Row {tag} {i}",
                status=Tenant.Status.ACTIVE,
            )  # fmt: skip
            for i in range(count)
        ]
    )
    plans = [plan(app, key) for app, key in apps]
    Subscription.objects.bulk_create(
        [
            Subscription(
                tenant=t,
                app=p.app,
                plan=p,
                status=Subscription.Status.ACTIVE,
                current_period_start=since,
            )  # fmt: skip
            for t in tenants
            for p in plans
        ]
    )
    BillingAccount.objects.bulk_create(
        [
            BillingAccount(
                tenant=t,
                email=f"billing@{t.slug}.example.com",
                payment_token=card,
                card_last4=card[-4:],
            )
            for t in tenants
        ]  # fmt: skip
    )
    return tenants


def remove_tenants(tenants) -> None:
    """Undo committed rows of `tenants` (invoices, payments, subscriptions, the rows)."""
    ids = [t.pk for t in tenants]
    Payment.objects.filter(account__tenant_id__in=ids).delete()
    InvoiceLine.objects.filter(account__tenant_id__in=ids).delete()
    Invoice.objects.filter(account__tenant_id__in=ids).delete()
    SubscriptionBilling.objects.filter(subscription__tenant_id__in=ids).delete()
    SubscriptionEvent.objects.filter(subscription__tenant_id__in=ids).delete()
    Subscription.objects.filter(tenant_id__in=ids).delete()
    BillingAccount.objects.filter(tenant_id__in=ids).delete()
    BillingRun.objects.filter(invoices__isnull=True).delete()
    Tenant.objects.filter(pk__in=ids).delete()


def numbers_are_gapless() -> list[int]:
    """Every committed invoice number from the first to the sequence's last, once."""
    numbers = sorted(Invoice.objects.values_list("number", flat=True))
    sequence = BillingSequence.objects.filter(key="platform-invoice").first()
    if numbers:
        assert numbers == list(range(numbers[0], numbers[0] + len(numbers))), numbers
        assert sequence.next_number == numbers[-1] + 1
    return numbers
