"""The customer portal's API (/api/v1/isp/portal/...), for a tenant user linked to a customer
account (the `isp.portal` area, e.g. the Customer role): their account and contact details,
services, invoices (and paying one by card), payments. Everything is narrowed to the linked
customer: another customer's invoice id is a 404, exactly like one that never existed.
"""

from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from apps.identity.permissions import AppAreaAccess
from apps.isp.api import serializers as s
from apps.isp.api.base import BaseViewSet, ReadOnlyModelViewSet
from apps.isp.models import Customer, Invoice, Payment, Service
from apps.isp.services.customers import customer_update
from apps.isp.services.payments import invoice_pay


def linked_customer(request) -> Customer | None:
    """The customer account the signed-in user is linked to (read once per request)."""
    if not hasattr(request, "_isp_customer"):
        user = request.user
        request._isp_customer = (
            Customer.objects.filter(user=user).first() if user.is_authenticated else None
        )
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


class PortalMixin:
    permission_classes = [IsLinkedCustomer]
    required_feature = "isp.customer_portal"

    @property
    def customer(self) -> Customer:
        return linked_customer(self.request)

    def restrict_queryset(self, queryset):
        return queryset.filter(customer=self.customer)


class PortalMeViewSet(PortalMixin, mixins.RetrieveModelMixin, mixins.UpdateModelMixin, BaseViewSet):
    """The linked customer account; its contact details and billing address are editable."""

    queryset = Customer.objects.all()
    serializer_class = s.PortalCustomerSerializer
    resource_type = "customer"

    def restrict_queryset(self, queryset):
        return queryset.filter(pk=self.customer.pk)

    def get_object(self):
        return self.customer

    def perform_update(self, serializer):
        serializer.instance = customer_update(
            customer=serializer.instance, **serializer.validated_data
        )


class PortalServiceViewSet(PortalMixin, ReadOnlyModelViewSet):
    queryset = Service.objects.select_related("plan").order_by("-created_at", "-id")
    serializer_class = s.PortalServiceSerializer
    resource_type = "service"
    filterset_fields = ["status"]
    ordering_fields = ["created_at", "activated_on"]


class PortalInvoiceViewSet(PortalMixin, ReadOnlyModelViewSet):
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
        card = self.validated(s.CardSerializer)["card_number"]
        payment = invoice_pay(invoice=self.get_object(), card_number=card)
        return Response(s.PortalPaymentSerializer(payment).data, status=status.HTTP_201_CREATED)


class PortalPaymentViewSet(PortalMixin, ReadOnlyModelViewSet):
    queryset = Payment.objects.all()
    serializer_class = s.PortalPaymentSerializer
    resource_type = "payment"
    filterset_fields = ["status", "method"]
    ordering_fields = ["received_on", "amount"]


router = SimpleRouter()
router.register("services", PortalServiceViewSet, basename="isp-portal-service")
router.register("invoices", PortalInvoiceViewSet, basename="isp-portal-invoice")
router.register("payments", PortalPaymentViewSet, basename="isp-portal-payment")

me = PortalMeViewSet.as_view({"get": "retrieve", "put": "update", "patch": "partial_update"})

urlpatterns = [path("me/", me, name="isp-portal-me"), *router.urls]
