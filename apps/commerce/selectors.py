"""Reused reads of the shop: what is available to sell, what is low, who sees which orders."""

from django.db.models import F, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce

from apps.commerce.constants import AREA, ProductStatus
from apps.commerce.models import Order, OrderEvent, Product, ProductVariant, Stock
from apps.identity.access import can_open


def _available_of_variant():
    """Units on sale of the outer variant: on hand less allocated, in active warehouses."""
    rows = (
        Stock.objects.filter(variant=OuterRef("pk"), warehouse__is_active=True)
        .values("variant")
        .annotate(total=Sum(F("quantity") - F("allocated")))
        .values("total")
    )
    return Coalesce(Subquery(rows, output_field=IntegerField()), 0)


def variants_with_availability() -> QuerySet[ProductVariant]:
    return ProductVariant.objects.annotate(available=_available_of_variant())


def products_with_variants() -> QuerySet[Product]:
    return Product.objects.prefetch_related(
        Prefetch("variants", queryset=variants_with_availability().order_by("sku"))
    )


def storefront_products() -> QuerySet[Product]:
    """Published products, each with its variants and what is available of them."""
    return (
        products_with_variants().filter(status=ProductStatus.PUBLISHED).select_related("category")
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
