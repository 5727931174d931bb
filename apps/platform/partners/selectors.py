"""What a partner sees: its tenants with their MRR, its ledger, its payouts (nothing else)."""

from decimal import Decimal

from django.db.models import Sum

from apps.core.money import ZERO
from apps.platform.licensing.models import Subscription
from apps.platform.licensing.selectors import BILLABLE
from apps.platform.partners.models import LedgerEntry, Partner


def partner_tenants(partner: Partner) -> list[dict]:
    attributions = list(partner.attributions.select_related("tenant").order_by("tenant__name"))
    mrr: dict[int, Decimal] = {}
    for sub in Subscription.objects.filter(
        tenant_id__in=[a.tenant_id for a in attributions], status__in=BILLABLE
    ).select_related("plan"):
        mrr[sub.tenant_id] = mrr.get(sub.tenant_id, ZERO) + sub.plan.monthly_price
    return [
        {"id": a.tenant_id, "name": a.tenant.name, "slug": a.tenant.slug, "since": a.since,
         "mrr": mrr.get(a.tenant_id, ZERO)}
        for a in attributions
    ]  # fmt: skip


def partner_balance(partner: Partner) -> dict:
    entries = LedgerEntry.objects.filter(partner=partner)
    return {
        "earned": entries.aggregate(t=Sum("amount"))["t"] or ZERO,
        "unpaid": entries.filter(payout__isnull=True).aggregate(t=Sum("amount"))["t"] or ZERO,
    }


def partners_overview() -> list[dict]:
    """Platform monitoring by partner: tenants brought, MRR, commission earned."""
    rows = []
    for partner in Partner.objects.order_by("name"):
        tenants = partner_tenants(partner)
        rows.append({"partner": partner, "tenants": len(tenants),
                     "mrr": sum((t["mrr"] for t in tenants), ZERO),
                     **partner_balance(partner)})  # fmt: skip
    return rows
