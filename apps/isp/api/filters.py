"""Filters of the ISP API lists (django-filter): `?status=active&customer=12&issued_after=...`,
the staff pages' lists too (apps.core.kit.pages.ListPage).

Search (`?search=`) and ordering (`?ordering=-total`) are declared on each viewset.
"""

import django_filters
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from apps.core.api.filters import FilterSet, IntegerFilter
from apps.isp.models import (
    BillingRun,
    CreditNote,
    Customer,
    CustomerContact,
    DunningStep,
    Invoice,
    Payment,
    Service,
    ServicePlan,
    TaxClass,
)


def _overdue_invoices():
    return Invoice.objects.filter(status=Invoice.Status.OPEN, due_date__lt=timezone.localdate())


class CustomerFilter(FilterSet):
    overdue = django_filters.BooleanFilter(
        method="filter_overdue", label="Has an open invoice past its due date"
    )
    has_portal_user = django_filters.BooleanFilter(
        field_name="user", lookup_expr="isnull", exclude=True, label="Linked to a portal user"
    )
    plan = IntegerFilter(
        field_name="services__plan", distinct=True, label="Has a service on this plan"
    )
    created_after = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")
    balance_min = django_filters.NumberFilter(field_name="balance", lookup_expr="gte")
    balance_max = django_filters.NumberFilter(field_name="balance", lookup_expr="lte")

    class Meta:
        model = Customer
        fields = ["status", "kind", "billing_day"]

    def filter_overdue(self, queryset, name, value):
        overdue = Exists(_overdue_invoices().filter(customer=OuterRef("pk")))
        return queryset.filter(overdue if value else ~overdue)


class CustomerContactFilter(FilterSet):
    class Meta:
        model = CustomerContact
        fields = ["customer", "role"]


class TaxClassFilter(FilterSet):
    class Meta:
        model = TaxClass
        fields = ["code", "is_default"]


class ServicePlanFilter(FilterSet):
    price_min = django_filters.NumberFilter(field_name="price", lookup_expr="gte")
    price_max = django_filters.NumberFilter(field_name="price", lookup_expr="lte")
    download_min = django_filters.NumberFilter(field_name="download_mbps", lookup_expr="gte")

    class Meta:
        model = ServicePlan
        fields = ["status", "billing_period", "tax_class"]


class ServiceFilter(FilterSet):
    activated_after = django_filters.DateFilter(field_name="activated_on", lookup_expr="gte")
    activated_before = django_filters.DateFilter(field_name="activated_on", lookup_expr="lte")
    billed_until_before = django_filters.DateFilter(field_name="billed_until", lookup_expr="lt")

    class Meta:
        model = Service
        fields = ["status", "customer", "plan", "suspension_reason"]


class DocumentDates(FilterSet):
    issued_after = django_filters.DateFilter(field_name="issue_date", lookup_expr="gte")
    issued_before = django_filters.DateFilter(field_name="issue_date", lookup_expr="lte")


class InvoiceFilter(DocumentDates):
    overdue = django_filters.BooleanFilter(method="filter_overdue", label="Open and past due")
    due_after = django_filters.DateFilter(field_name="due_date", lookup_expr="gte")
    due_before = django_filters.DateFilter(field_name="due_date", lookup_expr="lte")
    service = django_filters.NumberFilter(field_name="lines__service", distinct=True)

    class Meta:
        model = Invoice
        fields = ["status", "customer", "billing_run", "currency"]

    def filter_overdue(self, queryset, name, value):
        overdue = Q(status=Invoice.Status.OPEN, due_date__lt=timezone.localdate())
        return queryset.filter(overdue) if value else queryset.exclude(overdue)


class CreditNoteFilter(DocumentDates):
    class Meta:
        model = CreditNote
        fields = ["customer", "invoice", "currency"]


class PaymentFilter(FilterSet):
    received_after = django_filters.DateFilter(field_name="received_on", lookup_expr="gte")
    received_before = django_filters.DateFilter(field_name="received_on", lookup_expr="lte")

    class Meta:
        model = Payment
        fields = ["customer", "method", "status", "currency"]


class BillingRunFilter(FilterSet):
    as_of_after = django_filters.DateFilter(field_name="as_of", lookup_expr="gte")
    as_of_before = django_filters.DateFilter(field_name="as_of", lookup_expr="lte")

    class Meta:
        model = BillingRun
        fields = ["status"]


class DunningStepFilter(FilterSet):
    class Meta:
        model = DunningStep
        fields = ["action", "is_active"]
