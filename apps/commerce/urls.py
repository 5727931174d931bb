"""Pages of the E-commerce app, each area's at its prefix (/commerce/, /shop/: apps.py)."""

from django.urls import path

from apps.commerce import views

back_office = [
    path("", views.Dashboard.as_view(), name="dashboard"),
    path("products/", views.ProductList.as_view(), name="products"),
    path("orders/", views.OrderList.as_view(), name="orders"),
]

shop = [path("", views.Storefront.as_view(), name="products")]

#: area → its page routes (apps.core.kit.urls mounts them at the area's prefix).
by_area = {"commerce": back_office, "commerce.shop": shop}
