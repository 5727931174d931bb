"""The tenant super admin's console for the shop (listed only while the tenant subscribes to
E-commerce: licensing's admin filter). Catalogue writes go through the services (the admin kit);
stock, movements and orders are shown read-only: they change only through the stock and order
services (the API and the back office), which keep the ledger and the timeline."""

from django.contrib import admin

from apps.commerce.models import (
    Category,
    Order,
    OrderEvent,
    OrderLine,
    Product,
    ProductVariant,
    ShippingMethod,
    Stock,
    StockMovement,
    TaxClass,
    Warehouse,
)
from apps.commerce.services import catalog
from apps.core.kit.admin import ReadOnlyAdmin, ReadOnlyInline, ServiceAdmin


@admin.register(TaxClass)
class TaxClassAdmin(ServiceAdmin):
    list_display = ["code", "name", "rate"]


@admin.register(Warehouse)
class WarehouseAdmin(ServiceAdmin):
    list_display = ["code", "name", "is_active"]


@admin.register(ShippingMethod)
class ShippingMethodAdmin(ServiceAdmin):
    list_display = ["code", "name", "price", "is_active"]


@admin.register(Category)
class CategoryAdmin(ServiceAdmin):
    list_display = ["path", "name", "depth"]
    search_fields = ["name", "path"]
    readonly_fields = ["path", "depth"]
    create_service = staticmethod(catalog.category_create)
    update_service = staticmethod(catalog.category_update)
    destroy_service = staticmethod(catalog.category_delete)


@admin.register(ProductVariant)
class VariantAdmin(ServiceAdmin):
    list_display = ["sku", "product", "name", "barcode", "price"]
    search_fields = ["sku", "barcode", "product__name"]
    list_select_related = ["product"]
    autocomplete_fields = ["product"]
    create_service = staticmethod(catalog.variant_create)
    update_service = staticmethod(catalog.variant_update)
    destroy_service = staticmethod(catalog.variant_delete)
    service_object = "variant"


@admin.register(Product)
class ProductAdmin(ServiceAdmin):
    """Products are created with their first variant through the API or here, then given
    more variants on the variants page."""

    list_display = ["name", "category", "price", "status"]
    list_filter = ["status", "category"]
    search_fields = ["name", "slug", "variants__sku"]
    list_select_related = ["category"]
    update_service = staticmethod(catalog.product_update)
    destroy_service = staticmethod(catalog.product_delete)

    def has_add_permission(self, request):
        return False  # a product needs its SKU: created through the API (one default variant)


@admin.register(Stock)
class StockAdmin(ReadOnlyAdmin):
    list_display = ["variant", "warehouse", "quantity", "allocated"]
    list_select_related = ["variant", "warehouse"]
    search_fields = ["variant__sku"]


@admin.register(StockMovement)
class MovementAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "variant", "warehouse", "kind", "quantity", "actor"]
    list_filter = ["kind", "warehouse"]
    list_select_related = ["variant", "warehouse"]
    search_fields = ["variant__sku"]


class OrderLineInline(ReadOnlyInline):
    model = OrderLine
    fields = ["sku", "name", "quantity", "quantity_fulfilled", "unit_price", "total"]


class OrderEventInline(ReadOnlyInline):
    model = OrderEvent
    fields = ["created_at", "kind", "message", "actor"]


@admin.register(Order)
class OrderAdmin(ReadOnlyAdmin):
    list_display = ["number", "customer", "status", "total", "created_at"]
    list_filter = ["status"]
    search_fields = ["number", "email"]
    list_select_related = ["customer"]
    exclude = ["shipping_address"]
    inlines = [OrderLineInline, OrderEventInline]
