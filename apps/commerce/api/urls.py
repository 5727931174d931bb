"""The E-commerce API, mounted at /api/v1/commerce/ (apps/commerce/apps.py)."""

from rest_framework.routers import SimpleRouter

from apps.commerce.api import vendor_views, views

staff = SimpleRouter()
staff.register("categories", views.CategoryViewSet, basename="commerce-category")
staff.register("products", views.ProductViewSet, basename="commerce-product")
staff.register("variants", views.VariantViewSet, basename="commerce-variant")
staff.register("tax-classes", views.TaxClassViewSet, basename="commerce-tax-class")
staff.register("warehouses", views.WarehouseViewSet, basename="commerce-warehouse")
staff.register("shipping-methods", views.ShippingMethodViewSet, basename="commerce-shipping")
staff.register("stock", views.StockViewSet, basename="commerce-stock")
staff.register("movements", views.MovementViewSet, basename="commerce-movement")
staff.register("orders", views.OrderViewSet, basename="commerce-order")
staff.register("checkout", views.CheckoutViewSet, basename="commerce-checkout")
staff.register("carts", views.CartViewSet, basename="commerce-cart")
staff.register("discount-codes", views.DiscountCodeViewSet, basename="commerce-discount")

staff.register("vendors", vendor_views.VendorViewSet, basename="commerce-vendor")
staff.register("commissions", vendor_views.CommissionViewSet, basename="commerce-commission")
staff.register("payouts", vendor_views.PayoutBatchViewSet, basename="commerce-payout-batch")

portal = SimpleRouter()
portal.register("products", vendor_views.VendorProductViewSet, basename="vendor-product")
portal.register("stock", vendor_views.VendorStockViewSet, basename="vendor-stock")
portal.register("order-lines", vendor_views.VendorOrderLineViewSet, basename="vendor-line")
portal.register("fulfilments", vendor_views.VendorFulfilmentViewSet, basename="vendor-fulfilment")
portal.register("ledger", vendor_views.VendorLedgerViewSet, basename="vendor-ledger")
portal.register("payouts", vendor_views.VendorPayoutViewSet, basename="vendor-payout")

#: area → its API routes (apps.core.kit.urls mounts them at the area's API path).
by_area = {"commerce": staff.urls, "commerce.vendor": portal.urls}
