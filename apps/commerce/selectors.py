"""Reused reads of the shop: what is available to sell, what is low, who sees which orders."""

from decimal import Decimal

from django.db.models import (
    DecimalField,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce, Greatest, Now

from apps.commerce.constants import AREA, ProductStatus
from apps.commerce.models import (
    Cart,
    CartLine,
    CommissionEntry,
    Order,
    OrderEvent,
    OrderLine,
    Product,
    ProductVariant,
    Reservation,
    Stock,
    Vendor,
)
from apps.commerce.services.isp_plans import isp_offered
from apps.identity.access import can_open


def _reserved_of_variant():
    """Units of the outer variant that carts hold and whose reservation has not expired."""
    rows = (
        Reservation.objects.filter(
            stock__variant=OuterRef("pk"), stock__warehouse__is_active=True,
            reserved_until__gt=Now(),
        )
        .values("stock__variant")
        .annotate(total=Sum("quantity"))
        .values("total")
    )  # fmt: skip
    return Coalesce(Subquery(rows, output_field=IntegerField()), 0)


def _available_of_variant():
    """Units on sale of the outer variant: on hand less allocated, in active warehouses, less
    what carts reserve (Saleor #10877: a reserved unit is not shown as available to anyone)."""
    rows = (
        Stock.objects.filter(variant=OuterRef("pk"), warehouse__is_active=True)
        .values("variant")
        .annotate(total=Sum(F("quantity") - F("allocated")))
        .values("total")
    )
    on_sale = Coalesce(Subquery(rows, output_field=IntegerField()), 0)
    return Greatest(on_sale - _reserved_of_variant(), 0)


def variants_with_availability() -> QuerySet[ProductVariant]:
    return ProductVariant.objects.annotate(available=_available_of_variant())


def products_with_variants() -> QuerySet[Product]:
    return Product.objects.prefetch_related(
        Prefetch("variants", queryset=variants_with_availability().order_by("sku"))
    )


def storefront_products() -> QuerySet[Product]:
    """Published products, each with its variants and what is available of them."""
    products = products_with_variants().filter(status=ProductStatus.PUBLISHED)
    if not isp_offered():  # a product ordering an ISP service is not sold without the ISP
        products = products.filter(isp_plan="")
    return products.select_related("category")


def stock_with_reserved() -> QuerySet[Stock]:
    """Stock rows with `reserved` (the units carts hold there now, unexpired) and `free` (on
    sale: on hand less allocated and reserved)."""
    held = (
        Reservation.objects.filter(stock=OuterRef("pk"), reserved_until__gt=Now())
        .values("stock")
        .annotate(total=Sum("quantity"))
        .values("total")
    )
    reserved = Coalesce(Subquery(held, output_field=IntegerField()), 0)
    return Stock.objects.annotate(reserved=reserved).annotate(
        free=Greatest(F("quantity") - F("allocated") - F("reserved"), 0)
    )


def low_stock() -> QuerySet[Stock]:
    """Stock rows at or below their variant's low-stock threshold."""
    return (
        Stock.objects.select_related("variant", "warehouse")
        .filter(quantity__lte=F("allocated") + F("variant__low_stock_threshold"))
        .order_by("variant__sku")
    )


def orders_with_details() -> QuerySet[Order]:
    return Order.objects.select_related("shipping_method", "customer").prefetch_related(
        "lines", Prefetch("events", queryset=OrderEvent.objects.order_by("created_at", "id"))
    )


def orders_visible(queryset: QuerySet[Order], user, action: str = "view") -> QuerySet[Order]:
    """Back-office staff see and work every order; a shopper sees only their own and changes
    none (fulfilment is the back office's)."""
    if can_open(user, AREA):
        return queryset
    if action != "view" or not user.is_authenticated:
        return queryset.none()
    return queryset.filter(Q(customer=user))


def carts_with_lines() -> QuerySet[Cart]:
    """Carts with their lines (variants, products, tax classes) and each line's unexpired
    reservations (`live_reservations`), in a constant number of queries."""
    live = Reservation.objects.filter(reserved_until__gt=Now())
    lines = CartLine.objects.select_related("variant__product__tax_class").prefetch_related(
        Prefetch("reservations", queryset=live, to_attr="live_reservations")
    )
    return Cart.objects.select_related("discount").prefetch_related(Prefetch("lines", lines))


def carts_visible(queryset: QuerySet[Cart], user) -> QuerySet[Cart]:
    """A shopper's own open cart(s); staff see none of theirs either (a cart is personal)."""
    if not user.is_authenticated:
        return queryset.none()
    return queryset.filter(customer=user, checked_out_at__isnull=True)


def vendors_with_balance() -> QuerySet:
    """Vendors with `balance`: their ledger's entries not yet paid out."""
    owed = (
        CommissionEntry.objects.filter(vendor=OuterRef("pk"), payout__isnull=True)
        .values("vendor")
        .annotate(total=Sum("earnings"))
        .values("total")
    )
    return Vendor.objects.select_related("user").annotate(
        balance=Coalesce(Subquery(owed), Value(Decimal("0.00")), output_field=DecimalField())
    )


def vendor_lines_all() -> QuerySet[OrderLine]:
    """Order lines sold by vendors, with their order and fulfilment."""
    return OrderLine.objects.filter(fulfilment__vendor__isnull=False).select_related(
        "order", "fulfilment"
    )
