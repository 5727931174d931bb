"""Names and choices of the E-commerce app shared by models, services, API and pages."""

from django.db import models

APP_KEY = "commerce"
AREA = "commerce"  # the back office (/commerce/, /api/v1/commerce/)
SHOP_AREA = "commerce.shop"  # the storefront (/shop/), open to anonymous visitors
MAX_PRODUCTS = "commerce.max_products"
DISCOUNTS = "commerce.discounts"
VENDOR_PORTAL = "commerce.vendor_portal"

#: The initialiser's defaults (the contract's codes: the demo warehouse is `main`).
MAIN_WAREHOUSE = "main"
STANDARD_SHIPPING = "standard"

#: Bounds of what one request may ask for (every input that sizes work is bounded).
MAX_CHECKOUT_LINES = 50
MAX_LINE_QUANTITY = 1000
MAX_STOCK_DELTA = 1_000_000
MAX_VARIANTS_PER_PRODUCT = 100
MAX_CATEGORY_DEPTH = 6
IDEMPOTENCY_KEY_MAX = 100


class ProductStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    PUBLISHED = "published", "Published"


class MovementKind(models.TextChoices):
    RECEIPT = "receipt", "Receipt"
    SALE = "sale", "Sale"
    ADJUSTMENT = "adjustment", "Adjustment"
    RETURN = "return", "Return"
    TRANSFER = "transfer", "Transfer"


class OrderStatus(models.TextChoices):
    PENDING_PAYMENT = "pending_payment", "Pending payment"
    PAID = "paid", "Paid"
    PARTIALLY_FULFILLED = "partially_fulfilled", "Partially fulfilled"
    FULFILLED = "fulfilled", "Fulfilled"
    SHIPPED = "shipped", "Shipped"
    DELIVERED = "delivered", "Delivered"
    CANCELLED = "cancelled", "Cancelled"


class PaymentStatus(models.TextChoices):
    SUCCEEDED = "succeeded", "Succeeded"
    REFUNDED = "refunded", "Refunded"


class DiscountKind(models.TextChoices):
    PERCENTAGE = "percentage", "Percentage"
    FIXED = "fixed", "Fixed amount"


#: Bounds of carts and returns.
MAX_CART_LINES = MAX_CHECKOUT_LINES
MAX_RESERVATION_MINUTES = 24 * 60
#: Carts of anonymous visitors untouched this long are deleted by the sweep.
STALE_CART_DAYS = 30
SESSION_CART_KEY = "shop_cart"

VENDOR_AREA = "commerce.vendor"  # the vendor portal (/vendor/, /api/v1/commerce/vendor/)
VENDOR_ROLE = "Vendor"
#: Payout batches per CSV export and vendors per batch are bounded by the vendors' count;
#: a CSV export is at most this many rows.
MAX_PAYOUT_ROWS = 10_000


class FulfilmentStatus(models.TextChoices):
    PENDING = "pending", "To fulfil"
    FULFILLED = "fulfilled", "Fulfilled"
    SHIPPED = "shipped", "Shipped"
    DELIVERED = "delivered", "Delivered"
    CANCELLED = "cancelled", "Cancelled"


class LedgerKind(models.TextChoices):
    ACCRUAL = "accrual", "Accrual (paid line)"
    REVERSAL = "reversal", "Reversal (refund)"
