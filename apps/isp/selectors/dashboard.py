"""The ISP dashboard: MRR, ARPU, overdue, churn and their monthly series."""

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from django.db import connections
from django.db.models import (
    Count,
    F,
    Q,
    Sum,
)
from django.db.models.functions import Coalesce, TruncMonth

from apps.core.db.replica import read_alias, replica
from apps.core.money import ZERO, money
from apps.isp.models import (
    Invoice,
    Payment,
    Service,
)
from apps.isp.selectors.accounts import (
    BILLED,
    monthly_price,
    today,
)

__all__ = [
    "Dashboard",
    "MonthPoint",
    "dashboard",
    "months_back",
]


# --- Dashboard ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class MonthPoint:
    month: date
    values: dict[str, Decimal | int]

    @property
    def label(self) -> str:
        return self.month.strftime("%b %y")


@dataclass(frozen=True)
class Dashboard:
    as_of: date
    active_subscribers: int
    mrr: Decimal
    arpu: Decimal
    overdue_amount: Decimal
    overdue_invoices: int
    open_amount: Decimal
    churned_30d: int
    churn_rate: Decimal  # percent of the subscribers at risk over the last 30 days
    months: list[MonthPoint] = field(default_factory=list)


def months_back(as_of: date, count: int = 12) -> list[date]:
    """First days of the `count` months ending with `as_of`'s month, oldest first."""
    first = as_of.replace(day=1)
    return [first - relativedelta(months=n) for n in range(count - 1, -1, -1)]


def _month_of(value) -> date:
    return value.date() if hasattr(value, "date") and callable(value.date) else value


def _mrr_by_month(months: list[date]) -> dict[date, Decimal]:
    """MRR at the end of each month: services live on that day, at today's prices (one query)."""
    sums = {}
    for index, start in enumerate(months):
        end = start + relativedelta(months=1) - timedelta(days=1)
        sums[f"m{index}"] = Sum(
            monthly_price(),
            filter=Q(activated_on__lte=end)
            & (Q(terminated_on__isnull=True) | Q(terminated_on__gte=end)),
        )
    row = Service.objects.filter(activated_on__isnull=False).aggregate(**sums)
    return {start: money(row[f"m{i}"] or 0) for i, start in enumerate(months)}


_SUBSCRIBER_FLOW_SQL = """
    WITH per_customer AS (
        SELECT customer_id,
               min(activated_on) AS first_on,
               max(terminated_on) AS last_off,
               bool_and(status = 'terminated') AS all_off
        FROM {service}
        WHERE activated_on IS NOT NULL
        GROUP BY customer_id
    )
    SELECT 'new', date_trunc('month', first_on)::date, count(*)
      FROM per_customer WHERE first_on >= %(start)s GROUP BY 2
    UNION ALL
    SELECT 'churned', date_trunc('month', last_off)::date, count(*)
      FROM per_customer WHERE all_off AND last_off >= %(start)s GROUP BY 2
    UNION ALL
    SELECT 'churned_window', %(window)s, count(*)
      FROM per_customer WHERE all_off AND last_off > %(window)s AND last_off <= %(as_of)s
"""


def _subscriber_flow(start: date, as_of: date) -> tuple[dict, dict, int]:
    """New subscribers (first service activated) and churned ones (last service terminated)
    per month since `start`, and those churned over the 30 days up to `as_of`."""
    new, churned, window = {}, {}, 0
    with connections[read_alias()].cursor() as cursor:
        cursor.execute(
            _SUBSCRIBER_FLOW_SQL.format(service=Service._meta.db_table),
            {"start": start, "as_of": as_of, "window": as_of - timedelta(days=30)},
        )
        for kind, month, count in cursor.fetchall():
            if kind == "new":
                new[month] = count
            elif kind == "churned":
                churned[month] = count
            else:
                window = count
    return new, churned, window


@replica()
def dashboard(*, as_of: date | None = None) -> Dashboard:
    """The staff dashboard's figures and 12-month series (a handful of queries in all), read
    from the standby when there is one (apps/core/db/replica.py)."""
    as_of = as_of or today()
    months = months_back(as_of)
    start = months[0]

    # A subscriber is an account with a service being billed (active or suspended).
    subscribers = Service.objects.filter(status__in=BILLED).values("customer_id").distinct().count()
    mrr = money(
        Service.objects.filter(status__in=BILLED).aggregate(total=Sum(monthly_price()))["total"]
        or 0
    )
    receivables = Invoice.objects.filter(status=Invoice.Status.OPEN).aggregate(
        open_amount=Coalesce(Sum("amount_due"), ZERO),
        overdue_amount=Coalesce(Sum("amount_due", filter=Q(due_date__lt=as_of)), ZERO),
        overdue_invoices=Count("pk", filter=Q(due_date__lt=as_of)),
    )
    invoiced = {
        _month_of(row["month"]): row
        for row in Invoice.objects.filter(issue_date__gte=start)
        .exclude(status=Invoice.Status.VOID)
        .annotate(month=TruncMonth("issue_date"))
        .order_by()
        .values("month")
        .annotate(
            invoiced=Sum("total"),
            paid=Count("pk", filter=Q(status=Invoice.Status.PAID)),
            overdue=Count("pk", filter=Q(status=Invoice.Status.OPEN, due_date__lt=as_of)),
            pending=Count("pk", filter=Q(status=Invoice.Status.OPEN, due_date__gte=as_of)),
        )
    }
    collected = {
        _month_of(row["month"]): row["amount"]
        for row in Payment.objects.filter(status=Payment.Status.SUCCEEDED, received_on__gte=start)
        .annotate(month=TruncMonth("received_on"))
        .order_by()
        .values("month")
        .annotate(amount=Sum(F("amount") - F("amount_refunded")))
    }
    mrr_by_month = _mrr_by_month(months)
    new, churned, churned_30d = _subscriber_flow(start, as_of)

    points = []
    for month in months:
        row = invoiced.get(month, {})
        points.append(
            MonthPoint(
                month,
                {
                    "mrr": mrr_by_month[month],
                    # Invoiced with tax, to compare with what was collected (payments are
                    # gross); MRR is net.
                    "invoiced": money(row.get("invoiced") or 0),
                    "collected": money(collected.get(month) or 0),
                    "paid": row.get("paid", 0),
                    "overdue": row.get("overdue", 0),
                    "pending": row.get("pending", 0),
                    "new": new.get(month, 0),
                    "churned": churned.get(month, 0),
                },
            )
        )
    at_risk = subscribers + churned_30d
    return Dashboard(
        as_of=as_of,
        active_subscribers=subscribers,
        mrr=mrr,
        arpu=money(mrr / subscribers) if subscribers else ZERO,
        overdue_amount=receivables["overdue_amount"],
        overdue_invoices=receivables["overdue_invoices"],
        open_amount=receivables["open_amount"],
        churned_30d=churned_30d,
        churn_rate=(Decimal(churned_30d * 100) / at_risk).quantize(Decimal("0.1"))
        if at_risk
        else Decimal("0.0"),
        months=points,
    )
