"""Accounts, services, documents: the building blocks of the ISP's figures and its lists."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

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
from django.db.models.functions import Coalesce
from django.utils import timezone

from apps.core.money import ZERO
from apps.isp.models import (
    Allocation,
    BillingRun,
    CreditNote,
    Customer,
    Invoice,
    Payment,
    Service,
    ServicePlan,
    ServicePlanChange,
    TimelineEvent,
)

__all__ = [
    "BILLED",
    "MONEY",
    "RATE",
    "TaxRow",
    "billing_run_list",
    "customer_credit_notes",
    "customer_figures",
    "customer_invoices",
    "customer_list",
    "customer_of",
    "customer_payments",
    "customer_services",
    "customer_timeline",
    "customers_with_figures",
    "document_lines",
    "invoice_allocations",
    "invoice_list",
    "invoice_tax_summary",
    "monthly_price",
    "of_customer",
    "plan_list",
    "today",
]


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


def of_customer(queryset: QuerySet, customer: Customer | None) -> QuerySet:
    """The rows of `queryset` that are `customer`'s (the account itself, or its invoices,
    payments, services...): what the portal shows, on its pages and in its API."""
    if customer is None:
        return queryset.none()
    if queryset.model is Customer:
        return queryset.filter(pk=customer.pk)
    return queryset.filter(customer=customer)


def customer_list(as_of: date | None = None) -> QuerySet[Customer]:
    """The staff customer list, with each account's figures, by account number (the page
    searches and filters it)."""
    return customers_with_figures(as_of).order_by("account_number")


def invoice_list() -> QuerySet[Invoice]:
    """The staff invoice list, newest first (the page searches and filters it)."""
    return Invoice.objects.select_related("customer").order_by("-issue_date", "-id")


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


def customer_figures(customer_pk: int, as_of: date | None = None) -> Customer | None:
    """One customer with its figures (the party directory's facts)."""
    return customers_with_figures(as_of).filter(pk=customer_pk).first()
