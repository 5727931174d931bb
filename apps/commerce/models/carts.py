"""Carts and what they hold back: the shop's settings (reservation time, guest checkout), carts of
anonymous (session) and signed-in shoppers, the stock their lines reserve until they expire,
the shopper's remembered address, and discount codes.

Reservations follow Saleor's (saleor/warehouse/models.py `Reservation`,
saleor/warehouse/reservations.py `reserve_stocks`, PR #7359 / issue #10877): a line of a cart
reserves units of stock rows for `reservation_minutes`; every listing and the API subtract the
units reserved and not yet expired from what they show as available, and allocation at checkout
counts them as taken unless they are the buyer's own. An expired reservation holds nothing,
whether or not the sweep (services.carts.reservations_sweep) has deleted it yet.
"""

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from apps.commerce.constants import DiscountKind
from apps.commerce.models.catalog import ProductVariant
from apps.commerce.models.inventory import Stock
from apps.core.encryption import EncryptedTextField

__all__ = [
    "Cart",
    "CartLine",
    "DiscountCode",
    "Reservation",
    "ShopSettings",
    "ShopperAddress",
]


class ShopSettings(models.Model):
    """The shop's settings (one row): how long a cart holds stock, whether guests may buy."""

    reservation_minutes = models.PositiveIntegerField(
        default=15, validators=[MaxValueValidator(24 * 60)],
        help_text="Minutes a cart's lines hold their stock (0: carts reserve nothing).",
    )  # fmt: skip
    guest_checkout = models.BooleanField(
        default=False, help_text="Visitors who are not signed in may check out with an email."
    )

    class Meta:
        verbose_name = verbose_name_plural = "shop settings"
        constraints = [
            models.CheckConstraint(condition=models.Q(id=1), name="commerce_shop_settings_one"),
        ]

    def __str__(self):
        return "Shop settings"


class DiscountCode(models.Model):
    """A code a shopper enters for a percentage or a fixed amount off the lines' net total,
    valid between two dates and at most `usage_limit` times: `times_used` is raised in one
    conditional UPDATE at checkout and the database refuses it past the limit."""

    code = models.CharField(max_length=40, unique=True, help_text="Upper case, e.g. SPRING10.")
    kind = models.CharField(max_length=10, choices=DiscountKind.choices)
    value = models.DecimalField(
        max_digits=12, decimal_places=2, validators=[MinValueValidator(0)],
        help_text="Percent off (kind percentage) or the amount off (kind fixed).",
    )  # fmt: skip
    valid_from = models.DateTimeField(null=True, blank=True)
    valid_until = models.DateTimeField(null=True, blank=True)
    usage_limit = models.PositiveIntegerField(
        null=True, blank=True, help_text="Orders that may use it (empty: no limit)."
    )
    times_used = models.PositiveIntegerField(default=0, editable=False)
    is_active = models.BooleanField("active", default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(usage_limit__isnull=True)
                | models.Q(times_used__lte=models.F("usage_limit")),
                name="commerce_discount_within_limit",
            ),
            models.CheckConstraint(
                condition=models.Q(value__gte=0)
                & (~models.Q(kind="percentage") | models.Q(value__lte=100)),
                name="commerce_discount_value_range",
            ),
            models.CheckConstraint(
                condition=models.Q(valid_from__isnull=True) | models.Q(valid_until__isnull=True)
                | models.Q(valid_until__gt=models.F("valid_from")),
                name="commerce_discount_dates_in_order",
            ),
        ]  # fmt: skip

    def __str__(self):
        return self.code


class Cart(models.Model):
    """A shopper's cart: an anonymous visitor's (known by the `token` kept in their session)
    or a signed-in customer's (one open cart each). At sign-in the session's cart is merged
    into the customer's. A cart checked out is closed (`checked_out_at`)."""

    token = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE,
        related_name="shop_carts",
    )  # fmt: skip
    discount = models.ForeignKey(
        DiscountCode, null=True, blank=True, on_delete=models.SET_NULL, related_name="carts"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)
    checked_out_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-updated_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer"], condition=models.Q(checked_out_at__isnull=True),
                name="commerce_one_open_cart_per_customer",
            ),
        ]  # fmt: skip

    def __str__(self):
        return str(self.token)


class CartLine(models.Model):
    """Units of one variant in a cart."""

    cart = models.ForeignKey(Cart, on_delete=models.CASCADE, related_name="lines")
    variant = models.ForeignKey(ProductVariant, on_delete=models.CASCADE, related_name="+")
    quantity = models.PositiveIntegerField()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["cart", "variant"], name="commerce_cart_line_once"),
            models.CheckConstraint(
                condition=models.Q(quantity__gt=0), name="commerce_cart_line_qty_gt_0"
            ),
        ]

    def __str__(self):
        return f"{self.quantity} × {self.variant_id}"


class Reservation(models.Model):
    """Units of a stock row a cart line holds until `reserved_until` (Saleor's Reservation)."""

    line = models.ForeignKey(CartLine, on_delete=models.CASCADE, related_name="reservations")
    stock = models.ForeignKey(Stock, on_delete=models.CASCADE, related_name="reservations")
    quantity = models.PositiveIntegerField()
    reserved_until = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["line", "stock"], name="commerce_reservation_once"),
            models.CheckConstraint(
                condition=models.Q(quantity__gt=0), name="commerce_reservation_qty_gt_0"
            ),
        ]
        indexes = [models.Index(fields=["stock", "reserved_until"])]

    def __str__(self):
        return f"{self.quantity} of stock {self.stock_id} until {self.reserved_until:%H:%M}"


class ShopperAddress(models.Model):
    """The address a customer last shipped to: the default of their next checkout."""

    customer = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="shop_address"
    )
    address = EncryptedTextField(max_length=500)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "shopper addresses"

    def __str__(self):
        return f"Address of {self.customer_id}"
