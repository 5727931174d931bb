"""The ISP staff API (/api/v1/isp/...): declarative resources whose writes go through the
services, and named actions that call one service each (the API kit: apps.core.api.viewsets).

Access: the `isp` area (AppAreaAccess, the default permission) on a tenant licensed for ISP
(the licence middleware); the portal's resources are in apps/isp/api/portal.py.
"""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.response import Response

from apps.core.api.imports import CsvImportActions
from apps.core.api.viewsets import CreateReadViewSet, ModelViewSet
from apps.isp.api import filters
from apps.isp.api import serializers as s
from apps.isp.api.radius import USAGE_SCHEMA, usage_answer
from apps.isp.constants import RADIUS
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
    Service,
    ServicePlan,
    Site,
    TaxClass,
    Vrf,
)
from apps.isp.selectors.network import prefixes_with_usage
from apps.isp.services import (
    billing,
    customers,
    device_import,
    inventory,
    ipam,
    payments,
    plans,
    runs,
    statements,
    subscriptions,
)

# --- Customers ---------------------------------------------------------------------------------


class CustomerViewSet(ModelViewSet):
    """Customer accounts. Creating one counts against the plan's `isp.max_customers` (403
    LIMIT_EXCEEDED, nothing written). DELETE removes only a prospect without any history (an
    account opened by mistake); every other account answers 409 CONFLICT and is closed with
    `POST {id}/status/` instead, keeping its invoices, payments and timeline."""

    queryset = Customer.objects.select_related("user")
    serializer_class = s.CustomerSerializer
    filterset_class = filters.CustomerFilter
    search_fields = ["name", "email", "account_number", "phone", "company_registration"]
    ordering_fields = ["account_number", "name", "created_at", "balance", "status"]
    resource_type = "customer"
    create_service = staticmethod(customers.customer_create)
    update_service = staticmethod(customers.customer_update)
    destroy_service = staticmethod(customers.customer_erase)

    @extend_schema(request=s.CustomerStatusSerializer, responses=s.CustomerSerializer)
    @action(detail=True, methods=["post"], url_path="status")
    def set_status(self, request, pk=None):
        """Move the account to prospect, active, suspended or closed (closing needs every
        service terminated; reopening a closed account counts against the customer limit)."""
        customer = self.get_object()
        data = self.validated(s.CustomerStatusSerializer)
        customer = customers.customer_set_status(customer=customer, actor=self.actor, **data)
        return self.respond(customer)

    @extend_schema(request=s.NoteSerializer, responses={201: s.TimelineEventSerializer})
    @action(detail=True, methods=["post"], resource_type="timeline_event")
    def notes(self, request, pk=None):
        """Add a note to the account's timeline."""
        customer = self.get_object()
        text = self.validated(s.NoteSerializer)["text"]
        event = customers.customer_note_add(customer=customer, text=text, actor=self.actor)
        return Response(s.TimelineEventSerializer(event).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses=s.TimelineEventSerializer(many=True))
    @action(detail=True, methods=["get"], resource_type="timeline_event", filter_backends=[])
    def timeline(self, request, pk=None):
        """Everything that happened to the account, newest first (paginated)."""
        events = self.get_object().timeline.all()
        page = self.paginate_queryset(events)
        return self.get_paginated_response(s.TimelineEventSerializer(page, many=True).data)

    @extend_schema(
        parameters=[
            OpenApiParameter("start", str, description="YYYY-MM-DD; default a year before end"),
            OpenApiParameter("end", str, description="YYYY-MM-DD; default today"),
        ],
        responses=s.StatementSerializer,
    )
    @action(detail=True, methods=["get"], resource_type="statement", filter_backends=[])
    def statement(self, request, pk=None):
        """The account's statement between two dates: opening balance, every invoice, credit
        note, payment and refund with the running balance, closing balance."""
        query = s.StatementQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        customer = self.get_object()
        statement = statements.customer_statement(customer=customer, **query.validated_data)
        return Response(s.StatementSerializer(statement).data)

    @extend_schema(request=s.LinkUserSerializer, responses=s.CustomerSerializer)
    @action(detail=True, methods=["post"], url_path="link-user")
    def link_user(self, request, pk=None):
        """Let a tenant user sign in to the customer portal as this customer (null unlinks)."""
        customer = self.get_object()
        user = self.validated(s.LinkUserSerializer)["user"]
        customer = customers.customer_link_user(customer=customer, user=user, actor=self.actor)
        return self.respond(customer)


class CustomerContactViewSet(ModelViewSet):
    queryset = CustomerContact.objects.select_related("customer")
    serializer_class = s.CustomerContactSerializer
    filterset_class = filters.CustomerContactFilter
    search_fields = ["name", "email", "phone", "customer__name", "customer__account_number"]
    ordering_fields = ["name", "role", "customer"]
    resource_type = "customer_contact"
    create_service = staticmethod(customers.contact_create)
    update_service = staticmethod(customers.contact_update)
    destroy_service = staticmethod(customers.contact_delete)
    service_object = "contact"


# --- Plans and tax -----------------------------------------------------------------------------


class TaxClassViewSet(ModelViewSet):
    """The tenant's tax rates. A class in use by a plan cannot be deleted (409)."""

    queryset = TaxClass.objects.all()
    serializer_class = s.TaxClassSerializer
    filterset_class = filters.TaxClassFilter
    search_fields = ["code", "name"]
    ordering_fields = ["code", "name", "rate"]
    resource_type = "tax_class"


class ServicePlanViewSet(ModelViewSet):
    """What the ISP sells. A plan with services cannot be deleted (409): retire it."""

    queryset = ServicePlan.objects.select_related("tax_class")
    serializer_class = s.ServicePlanSerializer
    filterset_class = filters.ServicePlanFilter
    search_fields = ["code", "name", "description"]
    ordering_fields = ["price", "name", "code", "download_mbps", "created_at"]
    resource_type = "plan"
    create_service = staticmethod(plans.plan_create)
    update_service = staticmethod(plans.plan_update)
    service_object = "plan"

    @extend_schema(request=None, responses=s.ServicePlanSerializer)
    @action(detail=True, methods=["post"])
    def retire(self, request, pk=None):
        """Stop selling the plan; its services keep running on it."""
        return self.respond(plans.plan_retire(plan=self.get_object(), actor=self.actor))


# --- Services ----------------------------------------------------------------------------------


class ServiceViewSet(ModelViewSet):
    """Customers' services. Ordered pending (POST), then moved through their lifecycle by the
    actions; never deleted (terminate instead). PATCH edits the install address and price."""

    queryset = Service.objects.select_related("customer", "plan").prefetch_related("plan_changes")
    serializer_class = s.ServiceSerializer
    filterset_class = filters.ServiceFilter
    # The install address is encrypted at rest: the street cannot be searched, the postcode
    # is found by exact value (its blind index).
    search_fields = ["customer__name", "customer__account_number", "plan__name",
                     "install_postcode"]  # fmt: skip
    ordering_fields = ["created_at", "activated_on", "status", "billed_until"]
    resource_type = "service"
    http_method_names = ["get", "post", "put", "patch", "head", "options"]
    create_service = staticmethod(subscriptions.service_create)
    update_service = staticmethod(subscriptions.service_update)

    @extend_schema(request=s.ServiceDateSerializer, responses=s.ServiceSerializer)
    @action(detail=True, methods=["post"])
    def activate(self, request, pk=None):
        """Switch a pending service on (default today): the setup fee and the prorated first
        period are invoiced at once; the customer becomes active."""
        service = self.get_object()
        on = self.validated(s.ServiceDateSerializer)["on"]
        subscriptions.service_activate(service=service, on=on, actor=self.actor)
        return self.respond(service)

    @extend_schema(request=None, responses=s.ServiceSerializer)
    @action(detail=True, methods=["post"])
    def suspend(self, request, pk=None):
        """Cut an active service off by hand (it is still billed; dunning suspends and restores
        on its own)."""
        service = subscriptions.service_suspend(service=self.get_object(), actor=self.actor)
        return self.respond(service)

    @extend_schema(request=None, responses=s.ServiceSerializer)
    @action(detail=True, methods=["post"])
    def restore(self, request, pk=None):
        """Switch a suspended service back on."""
        service = subscriptions.service_restore(service=self.get_object(), actor=self.actor)
        return self.respond(service)

    @extend_schema(request=s.ServiceDateSerializer, responses=s.ServiceSerializer)
    @action(detail=True, methods=["post"])
    def terminate(self, request, pk=None):
        """End the service; `on` (default today) is its last day. Days billed beyond it are
        credited (a credit note), days not yet billed are invoiced."""
        service = self.get_object()
        on = self.validated(s.ServiceDateSerializer)["on"]
        subscriptions.service_terminate(service=service, on=on, actor=self.actor)
        return self.respond(service)

    @extend_schema(request=s.ChangePlanSerializer, responses=s.ServicePlanChangeSerializer)
    @action(detail=True, methods=["post"], url_path="change-plan",
            resource_type="service_plan_change")  # fmt: skip
    def change_plan(self, request, pk=None):
        """Move the service to another plan from `on` (default today): the old plan's days
        already billed are credited, the new plan's charged (amounts on the answer)."""
        service = self.get_object()
        data = self.validated(s.ChangePlanSerializer)
        change = subscriptions.service_change_plan(service=service, actor=self.actor, **data)
        return Response(s.ServicePlanChangeSerializer(change).data)

    @USAGE_SCHEMA
    @action(detail=True, methods=["get"], resource_type="usage", filter_backends=[],
            required_feature=RADIUS)  # fmt: skip
    def usage(self, request, pk=None):
        """The service's traffic by day from RADIUS accounting (`?start=&end=`, default the
        last 30 days, at most 366), the range's totals and the month against the data cap."""
        return usage_answer(request, self.get_object())


# --- Invoices, credit notes, payments ----------------------------------------------------------


class InvoiceViewSet(CreateReadViewSet):
    """Invoices with their lines: issued by the billing engine (runs, activations, plan
    changes) or by hand (POST with lines: adjustments, one-off charges); never edited or deleted
    (credit notes correct them). `pay` takes what remains due by card through the tenant's
    gateway."""

    queryset = Invoice.objects.select_related("customer").prefetch_related("lines")
    serializer_class = s.InvoiceSerializer
    filterset_class = filters.InvoiceFilter
    search_fields = ["number", "customer__name", "customer__account_number", "customer__email"]
    ordering_fields = ["issue_date", "due_date", "number", "total", "amount_due", "status"]
    resource_type = "invoice"
    create_input = s.InvoiceCreateSerializer
    create_service = staticmethod(billing.invoice_create)

    @extend_schema(request=s.CardSerializer, responses={201: s.PaymentSerializer})
    @action(detail=True, methods=["post"], resource_type="payment")
    def pay(self, request, pk=None):
        """Pay what remains due by card. A declined card answers 400 VALIDATION_ERROR with
        the gateway's reason, and the attempt is kept as a failed payment."""
        invoice = self.get_object()
        card = self.validated(s.CardSerializer)["card_number"]
        payment = payments.invoice_pay(invoice=invoice, card_number=card, actor=self.actor)
        payment = Payment.objects.prefetch_related(*PAYMENT_PREFETCH).get(pk=payment.pk)
        return Response(s.PaymentSerializer(payment).data, status=status.HTTP_201_CREATED)


class CreditNoteViewSet(CreateReadViewSet):
    """Credit notes: issued by the engine (terminations, plan changes) or by hand (POST:
    amounts positive, what is credited), allocated to the invoice they correct, then to the
    oldest open ones; never edited."""

    queryset = CreditNote.objects.select_related("customer", "invoice").prefetch_related(
        "lines", "allocations__invoice"
    )
    serializer_class = s.CreditNoteSerializer
    filterset_class = filters.CreditNoteFilter
    search_fields = ["number", "reason", "customer__name", "customer__account_number"]
    ordering_fields = ["issue_date", "number", "total"]
    resource_type = "credit_note"
    create_input = s.CreditNoteCreateSerializer
    create_service = staticmethod(billing.credit_note_create)


PAYMENT_PREFETCH = ("allocations__invoice", "refunds")


class PaymentViewSet(CreateReadViewSet):
    """Payments, failed card attempts included, with what they settled (allocations) and what
    was given back (refunds). POST records a cash or bank-transfer payment received outside
    the gateway: allocated to the oldest open invoices, the rest kept as credit."""

    queryset = Payment.objects.select_related("customer").prefetch_related(*PAYMENT_PREFETCH)
    serializer_class = s.PaymentSerializer
    filterset_class = filters.PaymentFilter
    search_fields = ["reference", "gateway_reference", "customer__name",
                     "customer__account_number"]  # fmt: skip
    ordering_fields = ["received_on", "amount", "created_at"]
    resource_type = "payment"
    create_input = s.PaymentRecordSerializer
    create_service = staticmethod(payments.payment_record)

    @extend_schema(request=s.RefundInputSerializer, responses={201: s.PaymentSerializer})
    @action(detail=True, methods=["post"])
    def refund(self, request, pk=None):
        """Give back part of the payment's unallocated credit (through the gateway for a
        card). Answers the payment with its refunds."""
        payment = self.get_object()
        data = self.validated(s.RefundInputSerializer)
        payments.payment_refund(payment=payment, actor=self.actor, **data)
        return self.respond(payment, status.HTTP_201_CREATED)


# --- Billing runs ------------------------------------------------------------------------------


class BillingRunViewSet(CreateReadViewSet):
    """Recurring invoicing runs: what each did (invoices, total, errors). POST queues a run up
    to `as_of` (default today) on a worker and answers 202 with the queued run; a run only
    invoices what is still due, so starting one twice never bills twice."""

    queryset = BillingRun.objects.all()
    serializer_class = s.BillingRunSerializer
    filterset_class = filters.BillingRunFilter
    ordering_fields = ["created_at", "as_of", "invoices_created", "total_invoiced"]
    resource_type = "billing_run"
    create_input = s.BillingRunRequestSerializer
    create_service = staticmethod(runs.billing_run_request)
    create_status = status.HTTP_202_ACCEPTED


# --- Dunning -----------------------------------------------------------------------------------


class DunningStepViewSet(ModelViewSet):
    """The tenant's dunning policy: reminders and suspension at N days overdue. A feature of
    the Pro and Enterprise plans (403 FEATURE_NOT_IN_PLAN on Basic)."""

    queryset = DunningStep.objects.all()
    serializer_class = s.DunningStepSerializer
    filterset_class = filters.DunningStepFilter
    search_fields = ["name", "email_subject"]
    ordering_fields = ["days_overdue", "name"]
    resource_type = "dunning_step"
    required_feature = "isp.dunning"


__all__ = [
    "BillingRunViewSet",
    "CreditNoteViewSet",
    "CustomerContactViewSet",
    "CustomerViewSet",
    "DunningStepViewSet",
    "InvoiceViewSet",
    "PaymentViewSet",
    "ServicePlanViewSet",
    "ServiceViewSet",
    "TaxClassViewSet",
]


# --- IPAM --------------------------------------------------------------------------------------


class VrfViewSet(ModelViewSet):
    """Routing tables: an address is unique within its VRF. A VRF with prefixes or addresses
    cannot be deleted (409)."""

    queryset = Vrf.objects.all()
    serializer_class = s.VrfSerializer
    filterset_class = filters.VrfFilter
    search_fields = ["name", "rd", "description"]
    ordering_fields = ["name", "rd", "created_at"]
    resource_type = "vrf"


class PrefixViewSet(ModelViewSet):
    """IPv4 and IPv6 networks, nested by containment within a VRF (`depth`), each with its
    purpose and how much of it is in use. `?within=100.64.0.0/16` lists the prefixes inside a
    network, `?contains=100.64.0.7` those holding an address."""

    queryset = prefixes_with_usage()
    serializer_class = s.PrefixSerializer
    filterset_class = filters.PrefixFilter
    search_fields = ["description", "vrf__name"]
    ordering_fields = ["prefix", "vrf", "status", "purpose", "depth", "created_at"]
    resource_type = "prefix"

    @extend_schema(
        parameters=[s.AvailableQuerySerializer], responses=s.AvailableAddressSerializer(many=True)
    )
    @action(detail=True, methods=["get"], url_path="available-ips", resource_type="available_ip",
            filter_backends=[], pagination_class=None)  # fmt: skip
    def available_ips(self, request, pk=None):
        """The first free addresses of the prefix, in order (`?limit=`, at most 1,000): not in
        use in its VRF and not in quarantine."""
        query = s.AvailableQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        prefix = self.get_object()
        free = ipam.available_addresses(prefix, query.validated_data["limit"])
        return Response(
            [{"id": str(address), "address": str(address), "family": address.version}
             for address in free]
        )  # fmt: skip

    @extend_schema(request=s.AllocateSerializer, responses={201: s.IPAddressSerializer(many=True)})
    @action(detail=True, methods=["post"], resource_type="ip_address")
    def allocate(self, request, pk=None):
        """Hand out the first `count` free addresses (at most 256), to `service` if given (from
        a customer pool). Not enough free: 409 CONFLICT and nothing is written; two allocations
        at once never get the same address."""
        prefix = self.get_object()
        data = self.validated(s.AllocateSerializer)
        made = ipam.prefix_allocate(prefix=prefix, actor=self.actor, **data)
        return Response(s.IPAddressSerializer(made, many=True).data, status=status.HTTP_201_CREATED)


class IPAddressViewSet(ModelViewSet):
    """Addresses of a VRF: allocated from a prefix, or entered by hand (a gateway, a loopback);
    each once per VRF. A terminated service's addresses wait in quarantine before reuse."""

    queryset = IPAddress.objects.select_related("vrf")
    serializer_class = s.IPAddressSerializer
    filterset_class = filters.IPAddressFilter
    search_fields = ["description", "service__customer__name"]
    ordering_fields = ["address", "vrf", "status", "created_at"]
    resource_type = "ip_address"


# --- Inventory ---------------------------------------------------------------------------------


class SiteViewSet(ModelViewSet):
    """POPs, cabinets and towers, with coordinates for the map. A site with devices or
    circuits cannot be deleted (409)."""

    queryset = Site.objects.all()
    serializer_class = s.SiteSerializer
    filterset_class = filters.SiteFilter
    search_fields = ["name", "street", "city", "postcode", "description"]
    ordering_fields = ["name", "city", "status", "created_at"]
    resource_type = "site"


class DeviceViewSet(CsvImportActions, ModelViewSet):
    """Routers, switches, OLTs, access points and CPEs. Adding one counts against the plan's
    `isp.max_devices` (403 LIMIT_EXCEEDED, nothing written); `parent` is its uplink (no loops);
    a CPE may be assigned to the service it serves. `POST import/` adds the devices of a CSV
    file, all or none (apps.isp.services.device_import); it needs what a create needs."""

    queryset = Device.objects.select_related("site", "management_ip")
    serializer_class = s.DeviceSerializer
    filterset_class = filters.DeviceFilter
    search_fields = ["name", "vendor", "model", "serial", "description"]
    ordering_fields = ["name", "role", "status", "created_at"]
    resource_type = "device"
    create_service = staticmethod(inventory.device_create)
    update_service = staticmethod(inventory.device_update)
    destroy_service = staticmethod(inventory.device_delete)

    def csv_import_run(self, *, text: str, dry_run: bool):
        return device_import.device_import(text=text, dry_run=dry_run, actor=self.actor)


class CircuitViewSet(ModelViewSet):
    """Carrier circuits: capacity, monthly cost and term, between two sites or a site and the
    provider."""

    queryset = Circuit.objects.select_related("site_a", "site_z")
    serializer_class = s.CircuitSerializer
    filterset_class = filters.CircuitFilter
    search_fields = ["provider", "cid", "kind", "description"]
    ordering_fields = ["provider", "cid", "capacity_mbps", "monthly_cost", "term_ends_on"]
    resource_type = "circuit"
