"""Pages of the E-commerce app, each area's at its prefix (/commerce/, /shop/: apps.py)."""

from django.urls import path

from apps.commerce.views import back_office as office
from apps.commerce.views import shop
from apps.commerce.views import vendor as marketplace

ORDER_ACTIONS = "<int:pk>/<str:action>/"

back_office = [
    path("", office.Dashboard.as_view(), name="dashboard"),
    path("products/", office.ProductList.as_view(), name="products"),
    path("orders/", office.OrderList.as_view(), name="orders"),
    path("orders/<int:pk>/", office.OrderDetail.as_view(), name="order"),
    path(f"orders/{ORDER_ACTIONS}", office.OrderAction.as_view(), name="order-action"),
    path("stock/", office.StockList.as_view(), name="stock"),
    path("movements/", office.MovementList.as_view(), name="movements"),
    path("discounts/", office.DiscountList.as_view(), name="discounts"),
    path("discounts/new/", office.DiscountFormPage.as_view(), name="discount-new"),
    path("discounts/<int:pk>/", office.DiscountFormPage.as_view(), name="discount"),
    path("vendors/", marketplace.VendorList.as_view(), name="vendors"),
    path("vendors/payouts/", marketplace.PayoutBatchCreate.as_view(), name="payout-new"),
    path("vendors/payouts/<int:pk>.csv", marketplace.PayoutBatchCsv.as_view(), name="payout-csv"),
]

vendor_portal = [
    path("", marketplace.VendorOverview.as_view(), name="overview"),
    path("products/", marketplace.VendorProducts.as_view(), name="products"),
    path("orders/", marketplace.VendorFulfilments.as_view(), name="fulfilments"),
    path(
        "orders/<int:pk>/<str:action>/",
        marketplace.VendorFulfilmentAction.as_view(),
        name="fulfilment-action",
    ),
    path("ledger/", marketplace.VendorLedger.as_view(), name="ledger"),
]

storefront = [
    path("", shop.Storefront.as_view(), name="products"),
    path("p/<slug:slug>/", shop.ProductPage.as_view(), name="product"),
    path("cart/", shop.CartPage.as_view(), name="cart"),
    path("cart/add/", shop.CartAdd.as_view(), name="cart-add"),
    path("checkout/", shop.CheckoutPage.as_view(), name="checkout"),
    path("orders/", shop.MyOrders.as_view(), name="orders"),
    path("orders/<int:pk>/", shop.OrderPage.as_view(), name="order"),
    path("orders/<int:pk>/invoice.pdf", shop.OrderInvoice.as_view(), name="invoice"),
]

#: area → its page routes (apps.core.kit.urls mounts them at the area's prefix).
by_area = {"commerce": back_office, "commerce.shop": storefront, "commerce.vendor": vendor_portal}
