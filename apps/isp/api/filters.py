"""Filters of the ISP API lists (django-filter): `?status=active&customer=12&issued_after=...`,
the staff pages' lists too (apps.core.kit.pages.ListPage).

Search (`?search=`) and ordering (`?ordering=-total`) are declared on each viewset.
"""

import django_filters
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django_filters.constants import EMPTY_VALUES
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from netfields.forms import CidrAddressFormField, NoPrefixInetAddressFormField

from apps.core.api.filters import FilterSet, IntegerFilter
from apps.isp.models import (
    BillingRun,
    Circuit,
    CreditNote,
    Customer,
    CustomerContact,
    Device,
    DunningStep,
    Invoice,
    IPAddress,
    Payment,
    Prefix,
    Service,
    ServicePlan,
    Site,
    TaxClass,
    Ticket,
    Vrf,
    WorkOrder,
)
from apps.isp.selectors.network import prefix_addresses


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


# --- IPAM ------------------------------------------------------------------------------------


@extend_schema_field({"type": "string", "example": "100.64.0.0/16"})
class NetworkFilter(django_filters.Filter):
    field_class = CidrAddressFormField


@extend_schema_field({"type": "string", "example": "100.64.0.7"})
class AddressFilter(django_filters.Filter):
    field_class = NoPrefixInetAddressFormField


@extend_schema_field({"type": "integer", "enum": [4, 6]})
class FamilyFilter(django_filters.ChoiceFilter):
    """`?family=4` or `6`: the IP version of an inet/cidr column (PostgreSQL's family())."""

    def __init__(self, **kwargs):
        kwargs.setdefault("choices", [(4, "IPv4"), (6, "IPv6")])
        kwargs.setdefault("label", "IP version")
        super().__init__(**kwargs)

    def filter(self, qs, value):
        if value in EMPTY_VALUES:
            return qs
        return qs.filter(**{f"{self.field_name}__family": int(value)})


@extend_schema_field(OpenApiTypes.INT)
class PrefixChoiceFilter(django_filters.ModelChoiceFilter):
    pass


class VrfFilter(FilterSet):
    class Meta:
        model = Vrf
        fields = ["name", "rd"]


class PrefixFilter(FilterSet):
    family = FamilyFilter(field_name="prefix")
    within = NetworkFilter(
        field_name="prefix", lookup_expr="net_contained", label="Inside this network"
    )
    contains = AddressFilter(
        field_name="prefix", lookup_expr="net_contains_or_equals", label="Holds this address"
    )
    global_table = django_filters.BooleanFilter(
        field_name="vrf", lookup_expr="isnull", label="In the global table (no VRF)"
    )

    class Meta:
        model = Prefix
        fields = ["vrf", "purpose", "status"]


class IPAddressFilter(FilterSet):
    family = FamilyFilter(field_name="address")
    within = NetworkFilter(
        field_name="address", lookup_expr="net_contained_or_equal", label="Inside this network"
    )
    prefix = PrefixChoiceFilter(
        queryset=Prefix.objects.all(), method="filter_prefix", label="In this prefix (and VRF)"
    )
    assigned = django_filters.BooleanFilter(
        field_name="service", lookup_expr="isnull", exclude=True, label="Assigned to a service"
    )
    global_table = django_filters.BooleanFilter(
        field_name="vrf", lookup_expr="isnull", label="In the global table (no VRF)"
    )

    class Meta:
        model = IPAddress
        fields = ["vrf", "status", "service"]

    def filter_prefix(self, queryset, name, prefix):
        return prefix_addresses(prefix, queryset)


# --- Inventory -------------------------------------------------------------------------------


class SiteFilter(FilterSet):
    class Meta:
        model = Site
        fields = ["status", "city", "country"]


class DeviceFilter(FilterSet):
    assigned = django_filters.BooleanFilter(
        field_name="service", lookup_expr="isnull", exclude=True, label="Assigned to a service"
    )

    class Meta:
        model = Device
        fields = ["role", "status", "site", "parent", "service", "vendor"]


class CircuitFilter(FilterSet):
    term_ends_before = django_filters.DateFilter(field_name="term_ends_on", lookup_expr="lte")

    class Meta:
        model = Circuit
        fields = ["provider", "status", "site_a", "site_z"]


# --- Support and field work ---------------------------------------------------------------------


class TicketFilter(FilterSet):
    """The queue's filters: `?status=open&priority=high&team=2&assignee=5&breached=true`;
    `mine=true` the requester's own; `open=true` new, open or waiting."""

    open = django_filters.BooleanFilter(method="filter_open", label="Still open")
    breached = django_filters.BooleanFilter(
        field_name="breached_at", lookup_expr="isnull", exclude=True, label="SLA breached"
    )
    unassigned = django_filters.BooleanFilter(
        field_name="assignee", lookup_expr="isnull", label="Nobody assigned"
    )
    mine = django_filters.BooleanFilter(method="filter_mine", label="Assigned to me")
    assignee = IntegerFilter(field_name="assignee")
    team = IntegerFilter(field_name="team")
    customer = IntegerFilter(field_name="customer")
    device = IntegerFilter(field_name="device")
    created_after = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = Ticket
        fields = ["status", "priority", "category", "source"]

    def filter_open(self, queryset, name, value):
        statuses = ["new", "open", "waiting"]
        return queryset.filter(status__in=statuses) if value else queryset.exclude(
            status__in=statuses)  # fmt: skip

    def filter_mine(self, queryset, name, value):
        user = getattr(self.request, "user", None)
        if not value or user is None:
            return queryset
        return queryset.filter(assignee_id=user.pk)


class WorkOrderFilter(FilterSet):
    technician = IntegerFilter(field_name="technician")
    customer = IntegerFilter(field_name="customer")
    ticket = IntegerFilter(field_name="ticket")
    slot_after = django_filters.IsoDateTimeFilter(field_name="slot_start", lookup_expr="gte")
    slot_before = django_filters.IsoDateTimeFilter(field_name="slot_start", lookup_expr="lt")

    class Meta:
        model = WorkOrder
        fields = ["status", "kind"]
