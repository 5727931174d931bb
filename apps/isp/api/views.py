"""The ISP staff API (/api/v1/isp/...): declarative resources whose writes go through the
services, and named actions that call one service each (STYLE.md §6-7).

Access: the `isp` area (AppAreaAccess, the default permission) on a tenant licensed for ISP
(the licence middleware); the portal's resources are in apps/isp/api/portal.py.
"""

from django.db import transaction
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.response import Response

from apps.core.audit import audit_deleted, snapshot
from apps.core.exceptions import ConflictError
from apps.isp.api import filters
from apps.isp.api import serializers as s
from apps.isp.api.base import ModelViewSet, tenant_currency
from apps.isp.models import Customer, CustomerContact, ServicePlan, TaxClass
from apps.isp.services import customers, plans
from apps.platform.licensing.guards import within_limit

# --- Customers ---------------------------------------------------------------------------------


@transaction.atomic
def customer_erase(*, customer: Customer) -> None:
    """Delete an account opened by mistake: a prospect that never had a service, an invoice, a
    credit note or a payment. Any other account is closed instead (its history is kept)."""
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    used = (
        customer.services.exists()
        or customer.invoices.exists()
        or customer.credit_notes.exists()
        or customer.payments.exists()
    )
    if customer.status != Customer.Status.PROSPECT or used:
        raise ConflictError(
            f"Account {customer.account_number} has history and cannot be deleted: close it "
            'instead (POST .../status/ with {"status": "closed"}).'
        )
    before, pk = snapshot(customer), customer.pk
    customer.delete()
    audit_deleted(customer, before, object_id=pk)


def customer_set_status(*, customer: Customer, status: str, reason: str = "") -> Customer:
    """customers.customer_set_status, with reopening a closed account counted against
    `isp.max_customers` (closed accounts are not counted, so reopening one adds one)."""
    if customer.status == Customer.Status.CLOSED and status != Customer.Status.CLOSED:
        with within_limit("isp.max_customers"):
            return customers.customer_set_status(customer=customer, status=status, reason=reason)
    return customers.customer_set_status(customer=customer, status=status, reason=reason)


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
    destroy_service = staticmethod(customer_erase)

    @extend_schema(request=s.CustomerStatusSerializer, responses=s.CustomerSerializer)
    @action(detail=True, methods=["post"], url_path="status")
    def set_status(self, request, pk=None):
        """Move the account to prospect, active, suspended or closed (closing needs every
        service terminated; reopening a closed account counts against the customer limit)."""
        data = self.validated(s.CustomerStatusSerializer)
        return self.respond(customer_set_status(customer=self.get_object(), **data))

    @extend_schema(request=s.NoteSerializer, responses={201: s.TimelineEventSerializer})
    @action(detail=True, methods=["post"], resource_type="timeline_event")
    def notes(self, request, pk=None):
        """Add a note to the account's timeline."""
        text = self.validated(s.NoteSerializer)["text"]
        event = customers.customer_note_add(customer=self.get_object(), text=text)
        return Response(s.TimelineEventSerializer(event).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses=s.TimelineEventSerializer(many=True))
    @action(detail=True, methods=["get"], resource_type="timeline_event")
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
        from apps.isp.services.billing import customer_statement

        query = s.StatementQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        customer = self.get_object()
        statement = customer_statement(customer=customer, **query.validated_data)
        data = s.StatementSerializer(
            {
                "customer_id": customer.pk,
                **query.validated_data,
                "currency": tenant_currency(),
                "opening_balance": statement.opening_balance,
                "entries": statement.entries,
                "closing_balance": statement.closing_balance,
            }
        ).data
        return Response({"id": customer.pk, **data})

    @extend_schema(request=s.LinkUserSerializer, responses=s.CustomerSerializer)
    @action(detail=True, methods=["post"], url_path="link-user")
    def link_user(self, request, pk=None):
        """Let a tenant user sign in to the customer portal as this customer (null unlinks)."""
        user = self.validated(s.LinkUserSerializer)["user"]
        return self.respond(customers.customer_link_user(customer=self.get_object(), user=user))


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
        return self.respond(plans.plan_retire(plan=self.get_object()))


__all__ = [
    "CustomerContactViewSet",
    "CustomerViewSet",
    "ServicePlanViewSet",
    "TaxClassViewSet",
]
