"""Reads of the ISP app that pages (and the party directory) reuse: lists, the dashboard's
figures and its monthly series. Every one is a fixed number of SQL statements whatever the
number of rows (aggregates and subqueries, never a query per row)."""

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from django.db import connection
from django.db.models import (
    Case,
    Count,
    DecimalField,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone

from apps.core.money import ZERO, money
from apps.isp.models import (
    Allocation,
    BillingRun,
    CreditNote,
    Customer,
    Invoice,
    Payment,
    Service,
    ServicePlan,
    TimelineEvent,
)

MONEY = DecimalField(max_digits=14, decimal_places=2)
RATE = DecimalField(max_digits=20, decimal_places=6)
#: Services that are billed (a suspended service is still billed, only cut off).
BILLED = (Service.Status.ACTIVE, Service.Status.SUSPENDED)


def today() -> date:
    return timezone.localdate()


# --- Building blocks ---------------------------------------------------------------------------


def monthly_price(prefix: str = "") -> ExpressionWrapper:
    """A service's net price per month: its price (override or plan's) less its discount,
    spread over the plan's billing period. `prefix` reaches the service through a relation
    (e.g. "services__")."""
    price = Coalesce(F(f"{prefix}price_override"), F(f"{prefix}plan__price"))
    months = Case(
        When(**{f"{prefix}plan__billing_period": "quarterly"}, then=Value(3)),
        When(**{f"{prefix}plan__billing_period": "yearly"}, then=Value(12)),
        default=Value(1),
        output_field=IntegerField(),
    )
    share = (Value(Decimal(100)) - F(f"{prefix}discount_percent")) / Value(Decimal(100))
    return ExpressionWrapper(
        price * share / months,
        output_field=RATE,
    )


def _overdue_amounts(as_of: date):
    return (
        Invoice.objects.filter(
            customer=OuterRef("pk"), status=Invoice.Status.OPEN, due_date__lt=as_of
        )
        .order_by()
        .values("customer")
        .annotate(total=Sum("amount_due"))
        .values("total")
    )


def _live_services():
    return (
        Service.objects.filter(customer=OuterRef("pk"), status__in=BILLED)
        .order_by()
        .values("customer")
        .annotate(n=Count("pk"))
        .values("n")
    )


def _customer_mrr():
    return (
        Service.objects.filter(customer=OuterRef("pk"), status__in=BILLED)
        .order_by()
        .values("customer")
        .annotate(total=Sum(monthly_price()))
        .values("total")
    )


def customers_with_figures(as_of: date | None = None) -> QuerySet[Customer]:
    """Customers annotated with `overdue_amount`, `live_services` and `mrr` (one query)."""
    as_of = as_of or today()
    return Customer.objects.annotate(
        overdue_amount=Coalesce(Subquery(_overdue_amounts(as_of), output_field=MONEY), ZERO),
        live_services=Coalesce(Subquery(_live_services(), output_field=IntegerField()), 0),
        mrr=Coalesce(Subquery(_customer_mrr(), output_field=RATE), Value(Decimal(0))),
    )


# --- Lists -------------------------------------------------------------------------------------


def customer_of(user) -> Customer | None:
    """The customer account a tenant user signs in to the portal as (None: not linked)."""
    if not user.is_authenticated:
        return None
    return Customer.objects.filter(user_id=user.pk).first()


def customer_list(
    *,
    query: str = "",
    status: str = "",
    kind: str = "",
    overdue: bool = False,
    as_of: date | None = None,
) -> QuerySet[Customer]:
    """The staff customer list: search by name, email or account number; filter by status,
    kind and having an overdue balance."""
    customers = customers_with_figures(as_of)
    query = query.strip()
    if query:
        customers = customers.filter(
            Q(name__icontains=query)
            | Q(email__icontains=query)
            | Q(account_number__icontains=query)
        )
    if status:
        customers = customers.filter(status=status)
    if kind:
        customers = customers.filter(kind=kind)
    if overdue:
        customers = customers.filter(overdue_amount__gt=0)
    return customers.order_by("account_number")


def invoice_list(
    *, status: str = "", overdue: bool = False, query: str = "", as_of: date | None = None
) -> QuerySet[Invoice]:
    as_of = as_of or today()
    invoices = Invoice.objects.select_related("customer")
    if status:
        invoices = invoices.filter(status=status)
    if overdue:
        invoices = invoices.filter(status=Invoice.Status.OPEN, due_date__lt=as_of)
    query = query.strip()
    if query:
        invoices = invoices.filter(
            Q(number__icontains=query)
            | Q(customer__name__icontains=query)
            | Q(customer__account_number__icontains=query)
        )
    return invoices.order_by("-issue_date", "-id")


def plan_list() -> QuerySet[ServicePlan]:
    """Plans with how many services are billed on each and what they bring in a month."""
    return (
        ServicePlan.objects.select_related("tax_class")
        .annotate(
            live_services=Count("services", filter=Q(services__status__in=BILLED)),
            mrr=Coalesce(
                Sum(monthly_price("services__"), filter=Q(services__status__in=BILLED)),
                Value(Decimal(0)),
                output_field=RATE,
            ),
        )
        .order_by("status", "price", "name")
    )


def billing_run_list() -> QuerySet[BillingRun]:
    return BillingRun.objects.order_by("-created_at", "-id")


def customer_services(customer: Customer) -> QuerySet[Service]:
    return (
        customer.services.select_related("plan")
        .prefetch_related(
            Prefetch("plan_changes", queryset=_plan_changes()),
        )
        .annotate(monthly=monthly_price())
        .order_by("-id")
    )


def _plan_changes():
    from apps.isp.models import ServicePlanChange

    return ServicePlanChange.objects.select_related("from_plan", "to_plan").order_by(
        "-effective_on", "-id"
    )


def customer_invoices(customer: Customer, limit: int | None = None) -> QuerySet[Invoice]:
    invoices = customer.invoices.order_by("-issue_date", "-id")
    return invoices[:limit] if limit else invoices


def customer_payments(customer: Customer, limit: int | None = None) -> QuerySet[Payment]:
    payments = customer.payments.order_by("-received_on", "-id")
    return payments[:limit] if limit else payments


def customer_credit_notes(customer: Customer) -> QuerySet[CreditNote]:
    return customer.credit_notes.select_related("invoice").order_by("-issue_date", "-id")


def customer_timeline(customer: Customer, limit: int = 50) -> QuerySet[TimelineEvent]:
    return customer.timeline.order_by("-created_at", "-id")[:limit]


def invoice_allocations(invoice: Invoice) -> QuerySet[Allocation]:
    return invoice.allocations.select_related("payment", "credit_note").order_by("id")


def document_lines(lines) -> list:
    """A document's lines, each with `gross` (net plus tax) for display."""
    loaded = list(lines)
    for line in loaded:
        line.gross = line.amount + line.tax_amount
    return loaded


@dataclass(frozen=True)
class TaxRow:
    rate: Decimal
    net: Decimal
    tax: Decimal


def invoice_tax_summary(lines) -> list[TaxRow]:
    """Net and tax per rate of a document's (already loaded) lines."""
    by_rate: dict[Decimal, list[Decimal]] = {}
    for line in lines:
        net, tax = by_rate.setdefault(line.tax_rate, [ZERO, ZERO])
        by_rate[line.tax_rate] = [net + line.amount, tax + line.tax_amount]
    return [TaxRow(rate, net, tax) for rate, (net, tax) in sorted(by_rate.items())]


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
    with connection.cursor() as cursor:
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


def dashboard(*, as_of: date | None = None) -> Dashboard:
    """The staff dashboard's figures and 12-month series (a handful of queries in all)."""
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


def customer_figures(customer_pk: int, as_of: date | None = None) -> Customer | None:
    """One customer with its figures (the party directory's facts)."""
    return customers_with_figures(as_of).filter(pk=customer_pk).first()
