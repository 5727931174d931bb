"""Shapes of the marketplace's API: vendors, fulfilments, the ledger, payouts (no rules here)."""

from rest_framework import serializers

from apps.commerce.api.serializers import ProductCreateSerializer, ProductSerializer
from apps.commerce.models import (
    CommissionEntry,
    Fulfilment,
    OrderLine,
    Payout,
    PayoutBatch,
    Vendor,
)
from apps.core.api.serializers import CurrencyField, ModelSerializer


class VendorSerializer(ModelSerializer):
    username = serializers.CharField(source="user.username", read_only=True)
    currency = CurrencyField()
    balance = serializers.DecimalField(
        max_digits=14, decimal_places=2, read_only=True, default=None,
        help_text="What the shop owes the vendor now (entries not yet paid out).",
    )  # fmt: skip

    class Meta:
        model = Vendor
        fields = ["id", "user", "username", "code", "name", "commission_rate", "is_active",
                  "balance", "currency", "created_at"]  # fmt: skip
        read_only_fields = ["created_at"]


class VendorUpdateSerializer(VendorSerializer):
    class Meta(VendorSerializer.Meta):
        read_only_fields = ["user", "created_at"]


class VendorProductSerializer(ProductSerializer):
    """A vendor's product: the vendor is the one asking, never chosen."""

    class Meta(ProductSerializer.Meta):
        read_only_fields = ["vendor", "created_at", "updated_at"]


class VendorProductCreateSerializer(ProductCreateSerializer):
    class Meta(ProductCreateSerializer.Meta):
        read_only_fields = ["vendor", "created_at", "updated_at"]


class VendorOrderLineSerializer(ModelSerializer):
    order_number = serializers.CharField(source="order.number", read_only=True)
    order_status = serializers.CharField(source="order.status", read_only=True)
    fulfilment_status = serializers.CharField(source="fulfilment.status", read_only=True)

    class Meta:
        model = OrderLine
        fields = ["id", "order", "order_number", "order_status", "fulfilment",
                  "fulfilment_status", "sku", "name", "quantity", "quantity_fulfilled",
                  "quantity_returned", "unit_price", "total"]  # fmt: skip
        read_only_fields = fields


class FulfilmentSerializer(ModelSerializer):
    order_number = serializers.CharField(source="order.number", read_only=True)
    lines = serializers.SerializerMethodField()

    class Meta:
        model = Fulfilment
        fields = ["id", "order", "order_number", "vendor", "status", "tracking", "lines",
                  "updated_at"]  # fmt: skip
        read_only_fields = fields

    def get_lines(self, fulfilment) -> list[dict]:
        return [{"id": line.pk, "sku": line.sku, "name": line.name, "quantity": line.quantity,
                 "quantity_fulfilled": line.quantity_fulfilled}
                for line in fulfilment.lines.all()]  # fmt: skip


class FulfilmentShipInput(serializers.Serializer):
    tracking = serializers.CharField(max_length=100, required=False, allow_blank=True)


class CommissionEntrySerializer(ModelSerializer):
    vendor_code = serializers.CharField(source="vendor.code", read_only=True)
    order_number = serializers.CharField(source="line.order.number", read_only=True)

    class Meta:
        model = CommissionEntry
        fields = ["id", "vendor", "vendor_code", "line", "order_number", "kind", "sales",
                  "rate", "commission", "earnings", "note", "payout", "created_at"]  # fmt: skip
        read_only_fields = fields


class PayoutSerializer(ModelSerializer):
    vendor_code = serializers.CharField(source="vendor.code", read_only=True)
    batch_reference = serializers.CharField(source="batch.reference", read_only=True)

    class Meta:
        model = Payout
        fields = ["id", "batch", "batch_reference", "vendor", "vendor_code", "amount",
                  "entries_count", "paid_at", "paid_by", "created_at"]  # fmt: skip
        read_only_fields = fields


class PayoutBatchSerializer(ModelSerializer):
    payouts = PayoutSerializer(many=True, read_only=True)

    class Meta:
        model = PayoutBatch
        fields = ["id", "reference", "until", "total", "actor", "payouts", "created_at"]
        read_only_fields = fields


class PayoutBatchInput(serializers.Serializer):
    until = serializers.DateField(help_text="Pay the entries written up to this day (included).")
