"""The shop in real headless Chromium against gunicorn: an anonymous visitor adds a router to
the cart, signs in as jane (the cart survives the sign-in) and pays; mike fulfils and ships the
order in the back office. The server sees committed rows only: the data is committed and
removed afterwards. It runs on the suite's own shop tenant, so that what cannot be removed
(audit entries) never meets tenant A's tests."""

import re

import pytest
from django_tenants.utils import schema_context

from apps.commerce.models import (
    Allocation,
    Cart,
    Order,
    Payment,
    Product,
    Stock,
    StockMovement,
)
from apps.identity import services as identity
from apps.identity.models import Role, User
from tests.commerce import factories as f
from tests.committed import committed

pytestmark = [pytest.mark.slow, pytest.mark.django_db]
PASSWORD = "browser-shop-password-1"
SKU = "BROWSER-RTR"


def _schema(slug: str) -> str:
    from apps.platform.tenants.models import Tenant

    return Tenant.objects.get(slug=slug).schema_name


def _make(schema: str) -> str:
    with schema_context(schema):
        for username, role in (("jane", "Customer"), ("mike", "Sales Rep")):
            user = identity.user_create(username=username, password=PASSWORD,
                                        email=f"{username}@shop.example.com")  # fmt: skip
            identity.role_grant(user=user, role=Role.objects.get(name=role))
        return f.product(name="Browser Router AX", sku=SKU, stock=3, price="89.00").slug


def _state(schema: str) -> tuple:
    with schema_context(schema):
        order = Order.objects.get(lines__sku=SKU)
        stock = Stock.objects.get(variant__sku=SKU)
        return (order.customer.username, order.status, stock.quantity, stock.allocated,
                Payment.objects.filter(order=order).count())  # fmt: skip


def _remove(schema: str) -> None:
    with schema_context(schema):
        orders = Order.objects.filter(lines__sku=SKU)
        Payment.objects.filter(order__in=orders).delete()
        Allocation.objects.filter(line__sku=SKU).delete()
        StockMovement.objects.filter(variant__sku=SKU).delete()
        Order.objects.filter(pk__in=list(orders.values_list("pk", flat=True))).delete()
        Cart.objects.filter(lines__variant__sku=SKU).delete()
        Cart.objects.filter(customer__username__in=["jane", "mike"]).delete()
        Stock.objects.filter(variant__sku=SKU).delete()
        Product.objects.filter(variants__sku=SKU).delete()
        User.objects.filter(username__in=["jane", "mike"]).delete()


def test_a_visitor_fills_a_cart_signs_in_as_jane_pays_and_mike_ships(tenant_page, shop_tenant_slug):
    schema = _schema(shop_tenant_slug)
    slug = committed(_make, schema)
    try:
        visitor = tenant_page(shop_tenant_slug)
        visitor.goto(f"/shop/p/{slug}/")
        assert "3 in stock" in visitor.page.inner_text("#variants")
        with visitor.page.expect_navigation():
            visitor.page.click("#variants button[type=submit]")
        assert visitor.page.url.endswith("/shop/cart/")
        assert SKU in visitor.page.inner_text("#cart")

        with visitor.page.expect_navigation():
            visitor.page.click("#sign-in")
        visitor.page.fill("#id_username", "jane")
        visitor.page.fill("#id_password", PASSWORD)
        with visitor.page.expect_navigation():
            visitor.page.press("#id_password", "Enter")
        assert visitor.page.url.endswith("/shop/cart/"), visitor.page.url
        assert SKU in visitor.page.inner_text("#cart")  # the visitor's cart survived

        with visitor.page.expect_navigation():
            visitor.page.click("#to-checkout")
        visitor.page.fill("#shipping_address", "1 Browser Street\nTestville")
        visitor.page.fill("#card_number", f.CARD)
        with visitor.page.expect_navigation():
            visitor.page.click("#pay")
        assert visitor.page.inner_text("#status") == "Paid"
        number = re.search(r"SO-\d+", visitor.page.inner_text("h1")).group(0)
        order_id = re.search(r"/shop/orders/(\d+)/", visitor.page.url).group(1)

        mike = tenant_page(shop_tenant_slug).sign_in("mike", PASSWORD)
        mike.goto("/commerce/")
        assert number in mike.page.inner_text("#to-fulfil")
        with mike.page.expect_navigation():
            mike.page.click(f"#to-fulfil a:has-text('{number}')")
        with mike.page.expect_navigation():
            mike.page.click("#fulfil")
        assert mike.page.inner_text("#status") == "Fulfilled"
        mike.page.fill("input[name=tracking]", "TRACK-777")
        with mike.page.expect_navigation():
            mike.page.click("#ship")
        assert mike.page.inner_text("#status") == "Shipped"
        assert "TRACK-777" in mike.page.inner_text("#timeline")
        assert mike.page.url.endswith(f"/commerce/orders/{order_id}/")

        assert committed(_state, schema) == ("jane", "shipped", 2, 0, 1)
    finally:
        committed(_remove, schema)
