"""Orders: what a customer bought (lines at the prices and tax rates of the moment), the stock
allocated to it, the payment taken for it and its timeline; and the shipping methods offered."""

from django.conf import settings
from django.db import models

from apps.commerce.constants import OrderStatus, PaymentStatus
from apps.commerce.models.catalog import ProductVariant
from apps.commerce.models.inventory import Stock
from apps.core.encryption import EncryptedTextField
from apps.core.money import MoneyField, non_negative

__all__ = [
    "Allocation",
    "Order",
    "OrderEvent",
    "OrderLine",
    "OrderReturn",
    "Payment",
    "ReturnLine",
    "ShippingMethod",
]


class ShippingMethod(models.Model):
    """A way of delivering an order, at a flat rate ("Standard delivery, 4.90")."""

    code = models.SlugField(max_length=30, unique=True, help_text="e.g. standard, express")
    name = models.CharField(max_length=120)
    price = MoneyField(validators=[non_negative], help_text="Net rate per order.")
    free_above = MoneyField(
        null=True, blank=True, default=None, validators=[non_negative],
        help_text="Orders whose lines come to at least this (net, after discount) ship free.",
    )  # fmt: skip
    is_active = models.BooleanField("active", default=True)

    class Meta:
        ordering = ["price", "code"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(price__gte=0), name="commerce_shipping_price_gte_0"
            ),
        ]

    def __str__(self):
        return self.name


class Order(models.Model):
    """A customer's order. Its status moves only through services.orders.order_transition;
    `idempotency_key` (unique per customer) makes a retried checkout the same order."""

    number = models.CharField(max_length=20, unique=True)
    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
        related_name="shop_orders",
    )  # fmt: skip
    email = models.EmailField(blank=True)
    status = models.CharField(
        max_length=20, choices=OrderStatus.choices, default=OrderStatus.PENDING_PAYMENT
    )
    idempotency_key = models.CharField(max_length=100, null=True, blank=True, editable=False)
    #: A digest of the checkout request that took the key: the key again with another request
    #: is refused rather than answered with an order for something else.
    request_digest = models.CharField(max_length=64, blank=True, editable=False)
    shipping_method = models.ForeignKey(
        ShippingMethod, on_delete=models.PROTECT, related_name="orders"
    )
    shipping_address = EncryptedTextField(max_length=500, blank=True)
    #: The cart checked out into this order (unique: a cart becomes one order at most).
    cart_token = models.UUIDField(null=True, blank=True, unique=True, editable=False)
    subtotal = MoneyField(help_text="Net total of the lines.")
    discount_code = models.CharField(max_length=40, blank=True)
    discount_total = MoneyField(help_text="Net amount taken off the lines by the discount code.")
    refunded_total = MoneyField(help_text="What was refunded (returns, partial refunds).")
    shipping_total = MoneyField()
    tax_total = MoneyField()
    total = MoneyField(help_text="What the customer pays: lines, shipping and tax.")
    currency = models.CharField(max_length=3)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "idempotency_key"], name="commerce_order_idempotency_key"
            ),
            models.CheckConstraint(
                condition=models.Q(total__gte=0), name="commerce_order_total_gte_0"
            ),
        ]
        indexes = [models.Index(fields=["status", "created_at"])]

    def __str__(self):
        return self.number


class OrderLine(models.Model):
    """One variant bought, at its price and tax rate of the moment of purchase."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    variant = models.ForeignKey(
        ProductVariant, on_delete=models.PROTECT, related_name="order_lines"
    )
    sku = models.CharField("SKU", max_length=64)
    name = models.CharField(max_length=300)
    #: The fulfilment the line ships in (its vendor's, or the shop's own).
    fulfilment = models.ForeignKey(
        "commerce.Fulfilment", null=True, blank=True, on_delete=models.SET_NULL,
        related_name="lines",
    )  # fmt: skip
    quantity = models.PositiveIntegerField()
    quantity_fulfilled = models.PositiveIntegerField(default=0)
    quantity_returned = models.PositiveIntegerField(default=0)
    unit_price = MoneyField(help_text="Net price of one unit.")
    tax_rate = models.DecimalField(max_digits=5, decimal_places=2)
    total = MoneyField(help_text="Net total of the line.")
    #: The ISP plan the product was tied to when bought, and the ISP service ordered for it
    #: once the order was paid (its id in the ISP app; empty until then, set once).
    isp_plan = models.CharField("ISP plan", max_length=40, blank=True, editable=False)
    isp_service = models.CharField("ISP service", max_length=20, blank=True, editable=False)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(quantity__gt=0), name="commerce_line_qty_gt_0"
            ),
            models.CheckConstraint(
                condition=models.Q(quantity_fulfilled__lte=models.F("quantity")),
                name="commerce_line_fulfilled_within_quantity",
            ),
            models.CheckConstraint(
                condition=models.Q(quantity_returned__lte=models.F("quantity_fulfilled")),
                name="commerce_line_returned_within_fulfilled",
            ),
        ]

    def __str__(self):
        return f"{self.quantity} × {self.sku}"


class Allocation(models.Model):
    """Units of a stock row promised to an order line until they are fulfilled or released
    (each stock row's `allocated` is the sum of its allocations)."""

    line = models.ForeignKey(OrderLine, on_delete=models.CASCADE, related_name="allocations")
    stock = models.ForeignKey(Stock, on_delete=models.PROTECT, related_name="allocations")
    quantity = models.PositiveIntegerField()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["line", "stock"], name="commerce_allocation_once"),
            models.CheckConstraint(
                condition=models.Q(quantity__gt=0), name="commerce_allocation_qty_gt_0"
            ),
        ]

    def __str__(self):
        return f"{self.quantity} of stock {self.stock_id}"


class Payment(models.Model):
    """A card charge taken for an order through the gateway (and its refund)."""

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="payments")
    amount = MoneyField()
    currency = models.CharField(max_length=3)
    gateway = models.CharField(max_length=30)
    reference = models.CharField(max_length=100, unique=True)
    status = models.CharField(max_length=10, choices=PaymentStatus.choices)
    refund_reference = models.CharField(max_length=100, blank=True)
    refunded_amount = MoneyField(help_text="What was given back of this charge so far.")
    card_last4 = models.CharField(max_length=4, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(refunded_amount__gte=0, refunded_amount__lte=models.F("amount")),
                name="commerce_payment_refund_within_amount",
            ),
        ]

    def __str__(self):
        return self.reference


class OrderEvent(models.Model):
    """An entry of an order's timeline: placed, paid, fulfilled, shipped, cancelled..."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=30)
    message = models.CharField(max_length=300)
    actor = models.CharField(max_length=150, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self):
        return self.message


class OrderReturn(models.Model):
    """Units a customer sent back: restocked into a chosen warehouse (return movements) and
    refunded (`refund`, possibly less than their price) through the gateway."""

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="returns")
    warehouse = models.ForeignKey(
        "commerce.Warehouse", on_delete=models.PROTECT, related_name="returns"
    )
    refund = MoneyField(validators=[non_negative], help_text="Amount given back.")
    reason = models.CharField(max_length=200, blank=True)
    actor = models.CharField(max_length=150, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"Return {self.pk} of {self.order_id}"


class ReturnLine(models.Model):
    """Units of one order line in a return."""

    order_return = models.ForeignKey(OrderReturn, on_delete=models.CASCADE, related_name="lines")
    line = models.ForeignKey(OrderLine, on_delete=models.PROTECT, related_name="returns")
    quantity = models.PositiveIntegerField()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(quantity__gt=0), name="commerce_return_line_qty_gt_0"
            ),
        ]

    def __str__(self):
        return f"{self.quantity} × {self.line_id}"
