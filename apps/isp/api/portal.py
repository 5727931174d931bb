"""The customer portal's API (/api/v1/isp/portal/...), for a tenant user linked to a customer
account (the `isp.portal` area, e.g. the Customer role): their account and contact details,
services, invoices (and paying one by card), payments. Everything is restricted to the linked
customer: another customer's invoice id is a 404, exactly like one that never existed.
"""

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.response import Response

from apps.core.api.viewsets import BaseViewSet, ReadOnlyModelViewSet
from apps.identity.permissions import AppAreaAccess
from apps.isp import selectors
from apps.isp.api import serializers as s
from apps.isp.api.radius import USAGE_SCHEMA, usage_answer
from apps.isp.constants import RADIUS
from apps.isp.models import Customer, Invoice, Payment, Service
from apps.isp.services.customers import customer_update_own
from apps.isp.services.payments import invoice_pay
from apps.platform.licensing.guards import ensure_feature


def linked_customer(request) -> Customer | None:
    """The customer account the signed-in user is linked to (read once per request)."""
    if not hasattr(request, "_isp_customer"):
        request._isp_customer = selectors.customer_of(request.user)
    return request._isp_customer


class IsLinkedCustomer(AppAreaAccess):
    """The portal area, and a customer account linked to the user."""

    def has_permission(self, request, view) -> bool:
        if not super().has_permission(request, view):
            return False
        if linked_customer(request) is None:
            self.message = (
                "Your user is not linked to a customer account, so there is nothing to show "
                "here. Ask your provider to give you portal access."
            )
            return False
        return True


class PortalResource:
    """A portal resource: the linked customer's rows only."""

    permission_classes = [IsLinkedCustomer]
    required_feature = "isp.customer_portal"

    @property
    def customer(self) -> Customer:
        return linked_customer(self.request)

    def restrict(self, queryset, user, action):
        return selectors.of_customer(queryset, self.customer)


class PortalMeViewSet(
    PortalResource, mixins.RetrieveModelMixin, mixins.UpdateModelMixin, BaseViewSet
):
    """The linked customer account; its contact details and billing address are editable."""

    queryset = Customer.objects.all()
    serializer_class = s.PortalCustomerSerializer
    resource_type = "customer"
    update_service = staticmethod(customer_update_own)

    def get_object(self):
        return self.customer


class PortalServiceViewSet(PortalResource, ReadOnlyModelViewSet):
    queryset = Service.objects.select_related("plan").order_by("-created_at", "-id")
    serializer_class = s.PortalServiceSerializer
    resource_type = "service"
    filterset_fields = ["status"]
    ordering_fields = ["created_at", "activated_on"]

    @USAGE_SCHEMA
    @action(detail=True, methods=["get"], resource_type="usage", filter_backends=[])
    def usage(self, request, pk=None):
        """Your service's data usage by day (`?start=&end=`, default the last 30 days) and
        this month's total against your plan's data cap."""
        ensure_feature(RADIUS)  # besides the portal's own feature
        return usage_answer(request, self.get_object())


class PortalInvoiceViewSet(PortalResource, ReadOnlyModelViewSet):
    queryset = Invoice.objects.select_related("customer").prefetch_related("lines")
    serializer_class = s.InvoiceSerializer
    resource_type = "invoice"
    filterset_fields = ["status"]
    search_fields = ["number"]
    ordering_fields = ["issue_date", "due_date", "total", "amount_due"]

    @extend_schema(request=s.CardSerializer, responses={201: s.PortalPaymentSerializer})
    @action(detail=True, methods=["post"], resource_type="payment")
    def pay(self, request, pk=None):
        """Pay what remains due on the invoice by card (through the tenant's gateway). A
        declined card answers 400 VALIDATION_ERROR and is listed as a failed payment."""
        invoice = self.get_object()
        card = self.validated(s.CardSerializer)["card_number"]
        payment = invoice_pay(invoice=invoice, card_number=card, actor=self.actor)
        return Response(s.PortalPaymentSerializer(payment).data, status=status.HTTP_201_CREATED)


class PortalPaymentViewSet(PortalResource, ReadOnlyModelViewSet):
    queryset = Payment.objects.all()
    serializer_class = s.PortalPaymentSerializer
    resource_type = "payment"
    filterset_fields = ["status", "method"]
    ordering_fields = ["received_on", "amount"]
