"""The tenant super admin's console for the shop (listed only while the tenant subscribes to
E-commerce: licensing's admin filter). Catalogue writes go through the services (the admin kit);
stock, movements and orders are shown read-only: they change only through the stock and order
services (the API and the back office), which keep the ledger and the timeline.

The marketplace's vendors, their commission ledger and payouts need the plan feature
`commerce.vendor_portal` (the declaration's `admin_features` hides them from the menu without
it, and their pages refuse): vendors are made and changed through the vendor services, the
ledger and the payout batches are read-only, and a payout is marked paid by an action (through
`payout_mark_paid`, for staff who may change payouts)."""

from django.contrib import admin

from apps.commerce.constants import VENDOR_PORTAL
from apps.commerce.models import (
    Category,
    CommissionEntry,
    Order,
    OrderEvent,
    OrderLine,
    Payout,
    PayoutBatch,
    Product,
    ProductVariant,
    ShippingMethod,
    Stock,
    StockMovement,
    TaxClass,
    Vendor,
    Warehouse,
)
from apps.commerce.services import catalog, vendors
from apps.core.admin_actions import run_for_each
from apps.core.kit.admin import ReadOnlyAdmin, ReadOnlyInline, ServiceAdmin
from apps.platform.licensing.guards import current_entitlements


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


# --- the marketplace (plan feature commerce.vendor_portal) -------------------------------------


class VendorPortalFeature:
    """A console page of the marketplace: only while the tenant's plan has the vendor portal."""

    def _in_plan(self) -> bool:
        return current_entitlements().has_feature(VENDOR_PORTAL)

    def has_module_permission(self, request):
        return self._in_plan() and super().has_module_permission(request)

    def has_view_permission(self, request, obj=None):
        return self._in_plan() and super().has_view_permission(request, obj)

    def has_add_permission(self, request, *args):
        return self._in_plan() and super().has_add_permission(request, *args)

    def has_change_permission(self, request, obj=None):
        return self._in_plan() and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._in_plan() and super().has_delete_permission(request, obj)


@admin.register(Vendor)
class VendorAdmin(VendorPortalFeature, ServiceAdmin):
    """Vendors: made (with the Vendor role), changed and deactivated through the services; a
    vendor who has sold is deactivated, not deleted."""

    list_display = ["code", "name", "user", "commission_rate", "is_active", "created_at"]
    list_filter = ["is_active"]
    search_fields = ["code", "name", "user__username", "user__email"]
    list_select_related = ["user"]
    autocomplete_fields = ["user"]
    create_service = staticmethod(vendors.vendor_create)
    update_service = staticmethod(vendors.vendor_update)
    destroy_service = staticmethod(vendors.vendor_delete)

    def get_readonly_fields(self, request, obj=None):
        return ["user"] if obj is not None else []  # a vendor stays the same user


@admin.register(CommissionEntry)
class CommissionEntryAdmin(VendorPortalFeature, ReadOnlyAdmin):
    """The vendors' ledger: accruals of paid lines and their reversals, written by the order
    services only."""

    list_display = ["created_at", "vendor", "kind", "line", "sales", "rate", "commission",
                    "earnings", "payout"]  # fmt: skip
    list_filter = ["kind", "vendor"]
    list_select_related = ["vendor", "line", "payout"]
    search_fields = ["note", "line__sku", "vendor__code"]


class PayoutInline(ReadOnlyInline):
    model = Payout
    fields = ["vendor", "amount", "entries_count", "paid_at", "paid_by"]


@admin.register(PayoutBatch)
class PayoutBatchAdmin(VendorPortalFeature, ReadOnlyAdmin):
    """Payout batches, made by the back office's payout run (the API); read-only here."""

    list_display = ["reference", "until", "total", "actor", "created_at"]
    search_fields = ["reference"]
    inlines = [PayoutInline]


@admin.register(Payout)
class PayoutAdmin(VendorPortalFeature, ReadOnlyAdmin):
    """What each vendor is paid in a batch; read-only but for being marked paid once the
    money was sent."""

    list_display = ["batch", "vendor", "amount", "entries_count", "paid_at", "paid_by"]
    list_filter = ["vendor", ("paid_at", admin.EmptyFieldListFilter)]
    list_select_related = ["batch", "vendor"]
    search_fields = ["batch__reference", "vendor__code", "vendor__name"]
    actions = ["mark_paid"]

    def has_mark_paid_permission(self, request):
        opts = self.opts
        return self._in_plan() and request.user.has_perm(
            f"{opts.app_label}.change_{opts.model_name}"
        )

    @admin.action(description="Mark the selected payouts paid", permissions=["mark_paid"])
    def mark_paid(self, request, queryset):
        run_for_each(
            self, request, queryset.select_related("vendor", "batch").order_by("pk"),
            lambda payout: vendors.payout_mark_paid(payout=payout, actor=request.user),
            done="{} marked paid.", doing="mark paid",
            name=lambda payout: f"{payout.batch.reference} / {payout.vendor.name}",
        )  # fmt: skip
