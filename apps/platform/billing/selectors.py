"""Reads of the platform's bill that the console shows: revenue by app (MRR, ARR, churn), the
invoiced and collected amounts of the last months, failed payments."""

from __future__ import annotations

import datetime
from collections import defaultdict
from decimal import Decimal

from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from apps.core.money import ZERO
from apps.platform.billing.models import Invoice, Payment
from apps.platform.billing.services.accounts import period_amount
from apps.platform.catalog.models import App
from apps.platform.licensing.models import Subscription

BILLABLE = (Subscription.Status.ACTIVE, Subscription.Status.PAST_DUE)
#: Days over which churn is measured (subscriptions cancelled in them, over those billable at
#: their start).
CHURN_DAYS = 30


def _monthly_value(subscription: Subscription) -> Decimal:
    """What the subscription brings a month: its billed price version when it has one (per
    seat: its billed seats), else its plan's monthly price."""
    billing = getattr(subscription, "billing", None)
    if billing is not None:
        return period_amount(billing)
    return subscription.plan.monthly_price


def revenue_by_app(*, now: datetime.datetime | None = None) -> list[dict]:
    """Per catalog app: MRR, ARR, paying subscriptions, and churn over CHURN_DAYS (the share
    of its paying subscriptions at the window's start that were cancelled in it)."""
    now = now or timezone.now()
    since = now - datetime.timedelta(days=CHURN_DAYS)
    mrr: dict[int, Decimal] = defaultdict(lambda: ZERO)
    paying: dict[int, int] = defaultdict(int)
    billable = (Subscription.objects.filter(status__in=BILLABLE)
                .select_related("plan", "billing__price").order_by())  # fmt: skip
    for subscription in billable.iterator(chunk_size=2000):
        mrr[subscription.app_id] += _monthly_value(subscription)
        paying[subscription.app_id] += 1
    churned = dict(
        Subscription.objects.filter(status=Subscription.Status.CANCELLED, cancelled_at__gte=since,
                                    current_period_start__isnull=False)
        .values_list("app_id").annotate(n=Count("id")).order_by()
    )  # fmt: skip
    rows = []
    for app in App.objects.order_by("position"):
        lost = churned.get(app.pk, 0)
        base = paying[app.pk] + lost
        rows.append({
            "app": app, "mrr": mrr[app.pk], "arr": mrr[app.pk] * 12, "paying": paying[app.pk],
            "churned": lost, "churn_percent": round(100 * lost / base, 1) if base else 0.0,
        })  # fmt: skip
    return rows


def months_back(today: datetime.date, count: int) -> list[datetime.date]:
    """The first days of the `count` months up to today's, oldest first."""
    first = today.replace(day=1)
    months = []
    for _ in range(count):
        months.append(first)
        first = (first - datetime.timedelta(days=1)).replace(day=1)
    return months[::-1]


def invoiced_by_month(*, months: int = 12, today: datetime.date | None = None) -> list[dict]:
    """Per month (issue date): invoiced, collected (paid invoices' amounts) and still open."""
    today = today or timezone.localdate()
    firsts = months_back(today, max(1, min(months, 36)))
    rows = (
        Invoice.objects.filter(issued_on__gte=firsts[0])
        .exclude(status=Invoice.Status.VOID)
        .annotate(month=TruncMonth("issued_on"))
        .values("month")
        .annotate(
            invoiced=Sum("total"),
            collected=Sum("amount_paid"),
            open=Sum("total", filter=Q(status=Invoice.Status.OPEN)),
            count=Count("id"),
        )  # fmt: skip
        .order_by("month")
    )
    by_month = {row["month"]: row for row in rows}
    out = []
    for first in firsts:
        row = by_month.get(first, {})
        out.append({"month": first, "invoiced": row.get("invoiced") or ZERO,
                    "collected": row.get("collected") or ZERO, "open": row.get("open") or ZERO,
                    "count": row.get("count") or 0})  # fmt: skip
    return out


def failed_payments(*, limit: int = 50):
    """The latest failed payment attempts whose invoice is still unpaid."""
    return (Payment.objects.filter(status=Payment.Status.FAILED, invoice__status="open")
            .select_related("account__tenant", "invoice").order_by("-attempted_at", "-id")
            [:limit])  # fmt: skip


def console_overview(*, today: datetime.date | None = None) -> dict:
    apps = revenue_by_app()
    months = invoiced_by_month(today=today)
    return {
        "apps": apps,
        "mrr_total": sum((row["mrr"] for row in apps), ZERO),
        "arr_total": sum((row["arr"] for row in apps), ZERO),
        "mrr_max": max((row["mrr"] for row in apps), default=ZERO),
        "churn_max": max((row["churn_percent"] for row in apps), default=0),
        "months": months,
        "month_max": max((row["invoiced"] for row in months), default=ZERO),
        "failed": failed_payments(),
        "open_total": Invoice.objects.filter(status=Invoice.Status.OPEN).aggregate(
            total=Sum("total")
        )["total"]
        or ZERO,  # fmt: skip
    }
