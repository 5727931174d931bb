"""What the console's monitoring page shows, gathered from the tenant and licensing selectors."""

from decimal import Decimal

from django.db import DatabaseError, connection, transaction

from apps.platform.catalog.models import Plan
from apps.platform.licensing import selectors as licensing_selectors
from apps.platform.licensing.models import Subscription
from apps.platform.tenants import selectors
from apps.platform.tenants.models import Tenant

#: Active tenants whose usage the monitoring page counts (each costs a visit to its schema).
USAGE_TENANTS_SHOWN = 100


def _usage_of(tenant: Tenant):
    """A tenant's usage lines, or None when its schema cannot be read (shown, not fatal)."""
    try:
        with transaction.atomic():
            return licensing_selectors.usage_for_tenant(tenant)
    except DatabaseError:
        return None
    finally:
        connection.set_schema_to_public()


def monitoring_overview() -> dict:
    """What the monitoring page shows, gathered from the tenant and licensing selectors."""
    statuses = Subscription.Status.choices
    plan_rows = []
    for row in licensing_selectors.subscriptions_by_app_and_plan():
        segments = [
            {"status": status, "label": label, "count": row[status]} for status, label in statuses
        ]
        total = sum(segment["count"] for segment in segments)
        plan_rows.append(
            {
                "app": row["app__name"],
                "plan": row["plan__name"],
                "segments": segments,
                "total": total,
            }
        )
    mrr = licensing_selectors.mrr_by_tenant()
    currencies = sorted(set(Plan.objects.order_by().values_list("currency", flat=True)))
    active = list(selectors.tenant_list_active()[: USAGE_TENANTS_SHOWN + 1])
    return {
        "counts": selectors.tenant_status_counts(),
        "spares": selectors.spare_schema_count(),
        "plan_rows": plan_rows,
        "plan_max": max((row["total"] for row in plan_rows), default=0),
        "subscription_statuses": [{"status": status, "label": label} for status, label in statuses],
        "mrr_total": sum((total for _, total in mrr), Decimal("0")),
        "mrr_top": mrr[:10],
        "mrr_max": mrr[0][1] if mrr else Decimal("0"),
        "mrr_paying": len(mrr),
        "currency": currencies[0] if len(currencies) == 1 else " / ".join(currencies),
        "usage": [(tenant, _usage_of(tenant)) for tenant in active[:USAGE_TENANTS_SHOWN]],
        "usage_truncated": len(active) > USAGE_TENANTS_SHOWN,
        "failures": selectors.tenant_list_provisioning_failures()[:50],
        "in_progress": selectors.tenant_list_provisioning_in_progress()[:50],
    }
