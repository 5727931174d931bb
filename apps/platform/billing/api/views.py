"""The platform's bill over the API: platform staff see every tenant's (/api/v1/platform/), a
tenant's super admin its own only (/api/v1/billing/ on its host; another tenant's id is a
404)."""

from drf_spectacular.utils import extend_schema
from rest_framework import mixins
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.api.viewsets import BaseViewSet
from apps.platform.api_permissions import IsPlatformStaff, IsTenantSuperAdmin
from apps.platform.billing.api import serializers as s
from apps.platform.billing.models import BillingAccount, Invoice, Payment
from apps.platform.billing.services import accounts, changes, collection


class _ReadOnly(mixins.ListModelMixin, mixins.RetrieveModelMixin, BaseViewSet):
    pass


# --- platform staff --------------------------------------------------------------------------


class BillingAccountViewSet(_ReadOnly):
    queryset = BillingAccount.objects.select_related("tenant").order_by("id")
    serializer_class = s.BillingAccountSerializer
    permission_classes = [IsPlatformStaff]
    resource_type = "billing_account"
    filterset_fields = {"tenant__slug": ["exact"]}


class PlatformInvoiceViewSet(_ReadOnly):
    queryset = (Invoice.objects.select_related("account__tenant").prefetch_related("lines")
                .order_by("-number"))  # fmt: skip
    serializer_class = s.InvoiceSerializer
    permission_classes = [IsPlatformStaff]
    resource_type = "invoice"
    filterset_fields = {"account__tenant__slug": ["exact"], "status": ["exact", "in"],
                        "period_start": ["exact", "gte", "lte"], "kind": ["exact"]}  # fmt: skip


class PlatformPaymentViewSet(_ReadOnly):
    queryset = Payment.objects.select_related("account__tenant", "invoice").order_by("-id")
    serializer_class = s.PaymentSerializer
    permission_classes = [IsPlatformStaff]
    resource_type = "payment"
    filterset_fields = {"account__tenant__slug": ["exact"], "status": ["exact"],
                        "hard_decline": ["exact"]}  # fmt: skip


# --- the tenant's own ------------------------------------------------------------------------


def own_account(request) -> BillingAccount:
    return accounts.account_ensure(tenant=request.tenant)


class TenantInvoiceViewSet(_ReadOnly):
    queryset = Invoice.objects.prefetch_related("lines").select_related("account__tenant")
    serializer_class = s.InvoiceSerializer
    permission_classes = [IsTenantSuperAdmin]
    resource_type = "invoice"
    filterset_fields = {"status": ["exact"]}

    def restrict(self, queryset, user, action):
        return queryset.filter(account__tenant_id=self.request.tenant.pk).order_by("-number")

    @extend_schema(request=s.PayInput, responses=s.PaymentSerializer)
    @action(detail=True, methods=["post"])
    def pay(self, request, pk=None):
        invoice = self.get_object()
        data = self.validated(s.PayInput)
        payment = collection.invoice_pay_now(invoice=invoice, actor=request.user.get_username(),
                                             card_number=data.get("card_number"))  # fmt: skip
        return Response(s.PaymentSerializer(payment).data)


class TenantPaymentViewSet(_ReadOnly):
    queryset = Payment.objects.select_related("account__tenant", "invoice")
    serializer_class = s.PaymentSerializer
    permission_classes = [IsTenantSuperAdmin]
    resource_type = "payment"

    def restrict(self, queryset, user, action):
        return queryset.filter(account__tenant_id=self.request.tenant.pk).order_by("-id")


class AccountView(APIView):
    """The organisation's billing account: contact, tax id, the card on file."""

    permission_classes = [IsTenantSuperAdmin]
    resource_type = "billing_account"

    @extend_schema(responses=s.BillingAccountSerializer)
    def get(self, request):
        return Response(s.BillingAccountSerializer(own_account(request)).data)

    @extend_schema(request=s.AccountUpdateSerializer, responses=s.BillingAccountSerializer)
    def patch(self, request):
        serializer = s.AccountUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        card = data.pop("card_number", None)
        actor = request.user.get_username()
        account = own_account(request)
        if data:
            account = accounts.account_update(account=account, actor=actor, **data)
        if card:
            account = accounts.payment_method_set(account=account, card_number=card, actor=actor)
        return Response(s.BillingAccountSerializer(account).data)


class UpcomingView(APIView):
    """A preview of the next period's invoice, with the pending proration lines."""

    permission_classes = [IsTenantSuperAdmin]
    resource_type = "upcoming_invoice"

    @extend_schema(responses=s.UpcomingSerializer)
    def get(self, request):
        return Response(s.UpcomingSerializer(changes.upcoming(account=own_account(request))).data)
