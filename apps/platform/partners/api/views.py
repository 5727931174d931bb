"""/api/v1/partners/ on the public host: a partner's own tenants, ledger and payouts. A
partner's user is no platform staff: the management API refuses its token."""

from django.db import connection
from rest_framework import mixins, serializers
from rest_framework.permissions import BasePermission
from rest_framework.response import Response

from apps.core.api.viewsets import BaseViewSet
from apps.platform.partners.models import LedgerEntry, Payout
from apps.platform.partners.selectors import partner_tenants
from apps.platform.partners.services import partner_of


class IsPartnerUser(BasePermission):
    message = "Only a partner's users see the partner portal."

    def has_permission(self, request, view) -> bool:
        return connection.schema_name == "public" and partner_of(request.user) is not None


class LedgerEntrySerializer(serializers.ModelSerializer):
    tenant = serializers.CharField(source="tenant.slug")
    invoice = serializers.CharField(source="invoice.display_number")
    paid_out = serializers.SerializerMethodField()

    class Meta:
        model = LedgerEntry
        fields = ["id", "kind", "tenant", "invoice", "app_key", "base", "percent", "amount",
                  "available_on", "paid_out", "created_at"]  # fmt: skip

    def get_paid_out(self, entry) -> bool:
        return entry.payout_id is not None


class PayoutSerializer(serializers.ModelSerializer):
    class Meta:
        model = Payout
        fields = ["id", "total", "created_at"]


class PartnerTenantSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    slug = serializers.CharField()
    since = serializers.DateField()
    mrr = serializers.DecimalField(max_digits=14, decimal_places=2)


class _PartnerOwn(mixins.ListModelMixin, mixins.RetrieveModelMixin, BaseViewSet):
    permission_classes = [IsPartnerUser]

    def restrict(self, queryset, user, action):
        return queryset.filter(partner=partner_of(user))


class LedgerViewSet(_PartnerOwn):
    queryset = LedgerEntry.objects.select_related("tenant", "invoice").order_by("-id")
    serializer_class = LedgerEntrySerializer
    resource_type = "ledger_entry"
    filterset_fields = {"kind": ["exact"]}


class PayoutViewSet(_PartnerOwn):
    queryset = Payout.objects.order_by("-id")
    serializer_class = PayoutSerializer
    resource_type = "payout"


class PartnerTenantViewSet(mixins.ListModelMixin, BaseViewSet):
    permission_classes = [IsPartnerUser]
    serializer_class = PartnerTenantSerializer
    resource_type = "partner_tenant"
    pagination_class = None

    def get_queryset(self):  # rows of the selector, not a model
        return []

    def list(self, request):
        rows = partner_tenants(partner_of(request.user))
        return Response(PartnerTenantSerializer(rows, many=True).data)
