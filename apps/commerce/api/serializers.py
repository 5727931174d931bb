"""The E-commerce API's shapes (serializers hold no rules: the services do)."""

from rest_framework import serializers

from apps.commerce.constants import (
    MAX_CHECKOUT_LINES,
    MAX_LINE_QUANTITY,
    MAX_STOCK_DELTA,
    MAX_VARIANTS_PER_PRODUCT,
    MovementKind,
)
from apps.commerce.models import (
    Cart,
    Category,
    DiscountCode,
    Order,
    OrderEvent,
    OrderLine,
    Product,
    ProductVariant,
    ShippingMethod,
    ShopSettings,
    Stock,
    StockMovement,
    TaxClass,
    Warehouse,
)
from apps.commerce.services.pricing import price
from apps.core.api.serializers import CurrencyField, ModelSerializer


class ShopTaxClassSerializer(ModelSerializer):
    class Meta:
        model = TaxClass
        fields = ["id", "code", "name", "rate"]


class CategorySerializer(ModelSerializer):
    class Meta:
        model = Category
        fields = ["id", "name", "slug", "parent", "path", "depth", "description"]
        read_only_fields = ["path", "depth"]
        extra_kwargs = {"slug": {"required": False}}


class VariantSerializer(ModelSerializer):
    available = serializers.IntegerField(read_only=True, help_text="Units on sale now.")

    class Meta:
        model = ProductVariant
        fields = ["id", "product", "sku", "name", "attributes", "barcode", "price",
                  "low_stock_threshold", "available", "created_at"]  # fmt: skip
        read_only_fields = ["created_at"]


class VariantUpdateSerializer(VariantSerializer):
    """A variant stays with its product."""

    class Meta(VariantSerializer.Meta):
        read_only_fields = ["product", "created_at"]


class NestedVariantSerializer(ModelSerializer):
    class Meta:
        model = ProductVariant
        fields = ["sku", "name", "attributes", "barcode", "price", "low_stock_threshold"]
        extra_kwargs = {"sku": {"validators": []}}  # a duplicate is the service's to name


class ProductSerializer(ModelSerializer):
    currency = CurrencyField()
    sku = serializers.SerializerMethodField(help_text="The SKU of its first variant.")
    variants = serializers.SerializerMethodField()

    class Meta:
        model = Product
        fields = ["id", "name", "slug", "description", "category", "tax_class", "price",
                  "currency", "status", "vendor", "isp_plan", "sku", "variants", "created_at",
                  "updated_at"]  # fmt: skip
        read_only_fields = ["created_at", "updated_at"]
        extra_kwargs = {"slug": {"required": False}, "tax_class": {"required": False}}

    def get_sku(self, product) -> str | None:
        variants = product.variants.all()
        return variants[0].sku if variants else None

    def get_variants(self, product) -> list[dict]:
        return [
            {"id": v.pk, "sku": v.sku, "name": v.name, "attributes": v.attributes,
             "barcode": v.barcode, "price": None if v.price is None else str(v.price)}
            for v in product.variants.all()
        ]  # fmt: skip


class ProductCreateSerializer(ProductSerializer):
    """A product with `sku` (its one default variant) or `variants`."""

    sku = serializers.CharField(max_length=64, required=False, write_only=True)
    barcode = serializers.CharField(max_length=32, required=False, write_only=True)
    variants = NestedVariantSerializer(
        many=True, required=False, max_length=MAX_VARIANTS_PER_PRODUCT
    )

    class Meta(ProductSerializer.Meta):
        fields = [*ProductSerializer.Meta.fields, "barcode"]


class WarehouseSerializer(ModelSerializer):
    class Meta:
        model = Warehouse
        fields = ["id", "code", "name", "is_active"]


class ShippingMethodSerializer(ModelSerializer):
    currency = CurrencyField()

    class Meta:
        model = ShippingMethod
        fields = ["id", "code", "name", "price", "free_above", "currency", "is_active"]


class StockSerializer(ModelSerializer):
    sku = serializers.CharField(source="variant.sku", read_only=True)
    warehouse_code = serializers.CharField(source="warehouse.code", read_only=True)
    reserved = serializers.SerializerMethodField(help_text="Units carts hold (unexpired).")
    available = serializers.SerializerMethodField(
        help_text="Units on sale: on hand less allocated and reserved."
    )
    low = serializers.SerializerMethodField(help_text="At or below the variant's threshold.")

    class Meta:
        model = Stock
        fields = ["id", "variant", "sku", "warehouse", "warehouse_code", "quantity",
                  "allocated", "reserved", "available", "low"]  # fmt: skip
        read_only_fields = fields

    def get_reserved(self, stock) -> int:
        return getattr(stock, "reserved", 0)

    def get_available(self, stock) -> int:
        return max(0, stock.available - self.get_reserved(stock))

    def get_low(self, stock) -> bool:
        return self.get_available(stock) <= stock.variant.low_stock_threshold


class StockAdjustInput(serializers.Serializer):
    sku = serializers.CharField(max_length=64)
    warehouse = serializers.CharField(max_length=30)
    quantity = serializers.IntegerField(
        min_value=-MAX_STOCK_DELTA, max_value=MAX_STOCK_DELTA, help_text="A signed change."
    )
    kind = serializers.ChoiceField(
        choices=[MovementKind.ADJUSTMENT, MovementKind.RECEIPT, MovementKind.RETURN],
        default=MovementKind.ADJUSTMENT,
    )
    note = serializers.CharField(max_length=200, required=False, allow_blank=True)


class StockTransferInput(serializers.Serializer):
    sku = serializers.CharField(max_length=64)
    source = serializers.CharField(max_length=30)
    destination = serializers.CharField(max_length=30)
    quantity = serializers.IntegerField(min_value=1, max_value=MAX_STOCK_DELTA)
    note = serializers.CharField(max_length=200, required=False, allow_blank=True)


class MovementSerializer(ModelSerializer):
    sku = serializers.CharField(source="variant.sku", read_only=True)
    warehouse_code = serializers.CharField(source="warehouse.code", read_only=True)

    class Meta:
        model = StockMovement
        fields = ["id", "variant", "sku", "warehouse", "warehouse_code", "kind", "quantity",
                  "order", "note", "actor", "created_at"]  # fmt: skip
        read_only_fields = fields


class OrderLineSerializer(ModelSerializer):
    class Meta:
        model = OrderLine
        fields = ["id", "sku", "name", "quantity", "quantity_fulfilled", "quantity_returned",
                  "unit_price", "tax_rate", "total", "isp_plan", "isp_service"]  # fmt: skip
        read_only_fields = fields


class OrderEventSerializer(ModelSerializer):
    class Meta:
        model = OrderEvent
        fields = ["kind", "message", "actor", "created_at"]
        read_only_fields = fields


class OrderSerializer(ModelSerializer):
    lines = OrderLineSerializer(many=True, read_only=True)
    timeline = OrderEventSerializer(source="events", many=True, read_only=True)
    shipping_method = serializers.CharField(source="shipping_method.code", read_only=True)
    customer_username = serializers.CharField(
        source="customer.username", read_only=True, default=None, allow_null=True
    )

    class Meta:
        model = Order
        fields = ["id", "number", "status", "customer", "customer_username", "email",
                  "shipping_method", "shipping_address", "subtotal", "discount_code",
                  "discount_total", "shipping_total", "tax_total", "total", "refunded_total",
                  "currency", "lines", "timeline", "created_at", "updated_at"]  # fmt: skip
        read_only_fields = fields


class CheckoutLineInput(serializers.Serializer):
    sku = serializers.CharField(max_length=64)
    quantity = serializers.IntegerField(min_value=1, max_value=MAX_LINE_QUANTITY)


class CheckoutInput(serializers.Serializer):
    lines = CheckoutLineInput(many=True, min_length=1, max_length=MAX_CHECKOUT_LINES)
    shipping_method = serializers.CharField(max_length=30)
    card_number = serializers.CharField(max_length=30, write_only=True)
    shipping_address = serializers.CharField(max_length=500, required=False, allow_blank=True)
    discount_code = serializers.CharField(max_length=40, required=False, allow_blank=True)


class FulfilLineInput(serializers.Serializer):
    line = serializers.IntegerField(min_value=1)
    quantity = serializers.IntegerField(min_value=1, max_value=MAX_LINE_QUANTITY)


class FulfilInput(serializers.Serializer):
    lines = FulfilLineInput(many=True, required=False, max_length=MAX_CHECKOUT_LINES)


class ShipInput(serializers.Serializer):
    tracking = serializers.CharField(max_length=100, required=False, allow_blank=True)


class CancelInput(serializers.Serializer):
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True)


class OrderRefundInput(serializers.Serializer):
    amount = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=0)
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True)


class OrderReturnInput(serializers.Serializer):
    lines = FulfilLineInput(many=True, min_length=1, max_length=MAX_CHECKOUT_LINES)
    warehouse = serializers.CharField(max_length=30)
    refund = serializers.DecimalField(
        max_digits=14, decimal_places=2, min_value=0, required=False,
        help_text="The amount refunded (default: the units' price with tax).",
    )  # fmt: skip
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True)


class DiscountCodeSerializer(ModelSerializer):
    class Meta:
        model = DiscountCode
        fields = ["id", "code", "kind", "value", "valid_from", "valid_until", "usage_limit",
                  "times_used", "is_active", "created_at"]  # fmt: skip
        read_only_fields = ["times_used", "created_at"]


class ShopSettingsSerializer(ModelSerializer):
    class Meta:
        model = ShopSettings
        fields = ["reservation_minutes", "guest_checkout"]


class CartSerializer(ModelSerializer):
    """A cart with its lines priced now and each line's reservation."""

    lines = serializers.SerializerMethodField()
    discount_code = serializers.CharField(
        source="discount.code", read_only=True, default=None, allow_null=True
    )
    totals = serializers.SerializerMethodField(help_text="Net lines, discount, tax (no shipping).")

    class Meta:
        model = Cart
        fields = ["id", "token", "customer", "discount_code", "lines", "totals", "created_at",
                  "updated_at"]  # fmt: skip
        read_only_fields = fields

    def get_lines(self, cart) -> list[dict]:
        return [
            {"sku": line.variant.sku, "name": line.variant.product.name, "quantity": line.quantity,
             "unit_price": str(line.variant.effective_price),
             "reserved": sum(r.quantity for r in line.live_reservations),
             "reserved_until": max((r.reserved_until for r in line.live_reservations),
                                   default=None)}
            for line in cart.lines.all()
        ]  # fmt: skip

    def get_totals(self, cart) -> dict:
        priced = price([(line.variant, line.quantity) for line in cart.lines.all()],
                       method=None, discount=cart.discount)  # fmt: skip
        return {"subtotal": str(priced.subtotal), "discount_total": str(priced.discount_total),
                "tax_total": str(priced.tax_total), "total": str(priced.total)}  # fmt: skip


class CartLineInput(serializers.Serializer):
    sku = serializers.CharField(max_length=64)
    quantity = serializers.IntegerField(min_value=0, max_value=MAX_LINE_QUANTITY,
                                        help_text="Units wanted (0 removes the line).")  # fmt: skip


class CartDiscountInput(serializers.Serializer):
    code = serializers.CharField(max_length=40, allow_blank=True)


class CartCheckoutInput(serializers.Serializer):
    shipping_method = serializers.CharField(max_length=30)
    card_number = serializers.CharField(max_length=30, write_only=True)
    shipping_address = serializers.CharField(max_length=500, required=False, allow_blank=True)
