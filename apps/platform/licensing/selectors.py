"""Reads of licensing used by the console, the management API and the tenant's own pages."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db.models import Count, Q
from django_tenants.utils import schema_context

from apps.core.registry import registry
from apps.platform.licensing.entitlements import entitlements_for
from apps.platform.licensing.models import Subscription

if TYPE_CHECKING:  # the tenant model is the tenants package's, above licensing
    from apps.platform.tenants.models import Tenant

#: Statuses that bring revenue (a past-due subscription is still owed).
BILLABLE = (Subscription.Status.ACTIVE, Subscription.Status.PAST_DUE)


@dataclass(frozen=True)
class UsageLine:
    app: str
    limit_key: str
    used: int | None  # None: nothing counts this limit yet (its app's module is not installed)
    limit: int | None  # None: unlimited

    @property
    def percent(self) -> int | None:
        if self.used is None or not self.limit:
            return None
        return min(100, round(100 * self.used / self.limit))

    @property
    def exceeded(self) -> bool:
        return self.used is not None and self.limit is not None and self.used >= self.limit


def usage_for_tenant(tenant: Tenant) -> list[UsageLine]:
    """Current usage against every limit of the tenant's usable apps, counted in its schema.
    A `platform.*` limit belongs to no single app: one line (app "platform") with the highest
    value any usable licence gives (the quotas of apps.platform.metering, the API rates)."""
    entitlements = entitlements_for(tenant.schema_name)
    lines = []
    platform_keys = set()
    with schema_context(tenant.schema_name):
        for app in entitlements.usable_apps:
            for limit_key, limit in sorted(entitlements.licence(app).limits.items()):
                if limit_key.startswith("platform."):
                    platform_keys.add(limit_key)
                    continue
                counter = registry.usage_counters.get(limit_key)
                lines.append(UsageLine(app, limit_key, counter() if counter else None, limit))
        for limit_key in sorted(platform_keys):
            counter = registry.usage_counters.get(limit_key)
            lines.append(UsageLine("platform", limit_key, counter() if counter else None,
                                   entitlements.highest_limit(limit_key)))  # fmt: skip
    return lines


def subscription_monthly_value(subscription: Subscription) -> Decimal:
    return subscription.plan.monthly_price if subscription.status in BILLABLE else Decimal("0")


def mrr_by_tenant() -> list[tuple[Tenant, Decimal]]:
    """Monthly recurring revenue of each tenant (active and past-due subscriptions), largest
    first."""
    totals: dict[int, Decimal] = {}
    tenants: dict[int, Tenant] = {}
    billable = Subscription.objects.filter(status__in=BILLABLE).select_related("plan", "tenant")
    for subscription in billable:
        tenants[subscription.tenant_id] = subscription.tenant
        totals[subscription.tenant_id] = totals.get(
            subscription.tenant_id, Decimal("0")
        ) + subscription_monthly_value(subscription)
    return sorted(((tenants[pk], total) for pk, total in totals.items()), key=lambda x: -x[1])


def subscriptions_by_app_and_plan() -> list[dict]:
    """Rows of {app, plan, trial, active, past_due, suspended, cancelled} counts."""
    statuses = [choice for choice, _ in Subscription.Status.choices]
    return list(
        Subscription.objects.values("app__name", "plan__name", "plan__position")
        .annotate(**{status: Count("id", filter=Q(status=status)) for status in statuses})
        .order_by("app__position", "plan__position")
    )
