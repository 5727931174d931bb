"""Filters of the E-commerce API lists (and the back-office pages')."""

import django_filters

from apps.commerce.models import (
    Category,
    Order,
    Product,
    ProductVariant,
    Stock,
    StockMovement,
    Warehouse,
)
from apps.core.api.filters import FilterSet, IntegerFilter


class CategoryFilter(FilterSet):
    parent = IntegerFilter(field_name="parent")

    class Meta:
        model = Category
        fields = ["depth"]


class ProductFilter(FilterSet):
    category = IntegerFilter(field_name="category")
    price_min = django_filters.NumberFilter(field_name="price", lookup_expr="gte")
    price_max = django_filters.NumberFilter(field_name="price", lookup_expr="lte")

    class Meta:
        model = Product
        fields = ["status"]


class VariantFilter(FilterSet):
    product = IntegerFilter(field_name="product")

    class Meta:
        model = ProductVariant
        fields = ["sku", "barcode"]


class WarehouseFilter(FilterSet):
    class Meta:
        model = Warehouse
        fields = ["is_active"]


class StockFilter(FilterSet):
    sku = django_filters.CharFilter(field_name="variant__sku")
    warehouse = django_filters.CharFilter(field_name="warehouse__code")

    class Meta:
        model = Stock
        fields = []


class MovementFilter(FilterSet):
    sku = django_filters.CharFilter(field_name="variant__sku")
    warehouse = django_filters.CharFilter(field_name="warehouse__code")
    order = IntegerFilter(field_name="order")

    class Meta:
        model = StockMovement
        fields = ["kind"]


class OrderFilter(FilterSet):
    created_after = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = Order
        fields = ["status"]
