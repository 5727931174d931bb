"""The storefront's pages and the back office's new ones.

Storefront: a visitor adds to a cart kept in their session (the units reserved, shown as taken
to everyone), signs in and finds the cart merged into their own (the `user_logged_in` hook),
checks out once however often the form is sent, sees their orders and the invoice PDF (nobody
else's: 404); guests check out only when the shop allows it. Back office: an order's page and
its actions through the order services, stock with reservations, the movements ledger,
discount codes (plan feature), the dashboard's sales chart; a shopper's roles do not open them
(403), anonymous visitors are sent to sign in, another tenant's orders are a 404."""

import re

import pytest
from django_tenants.utils import schema_context

from apps.commerce.models import Cart, DiscountCode, Order, Reservation, ShopSettings
from apps.identity import services as identity
from apps.identity.models import Role, User
from apps.platform.tenants.models import Tenant
from tests.commerce import factories as f
from tests.conftest import HostClient, host_of

pytestmark = pytest.mark.django_db


def customer(tenant, username: str) -> User:
    with schema_context(tenant.schema_name):
        user = identity.user_create(username=username, password="shopper-password-1",
                                    email=f"{username}@example.com")  # fmt: skip
        identity.role_grant(user=user, role=Role.objects.get(name="Customer"))
        return user


def sign_in(client: HostClient, username: str, password: str = "shopper-password-1"):
    response = client.post("/login/", {"username": username, "password": password})
    assert response.status_code == 302, response.content
    return response


def key_of(html: str) -> str:
    return re.search(r'name="key" value="([0-9a-f]+)"', html).group(1)


def test_a_visitors_cart_reserves_units_and_survives_signing_in(client_a, tenant_a):
    with schema_context(tenant_a.schema_name):
        product = f.product(name="Merge Router", sku="MRG-1", stock=4)
    customer(tenant_a, "merge-jane")

    page = client_a.get(f"/shop/p/{product.slug}/")
    added = client_a.post("/shop/cart/add/", {"sku": "MRG-1", "quantity": 3})

    assert page.status_code == 200
    assert "4 in stock" in page.content.decode()
    assert added.status_code == 302
    assert (
        "1 in stock" in HostClient(client_a.host).get(f"/shop/p/{product.slug}/").content.decode()
    )
    cart_page = client_a.get("/shop/cart/").content.decode()
    assert 'data-sku="MRG-1"' in cart_page
    assert "Check out" in cart_page
    with schema_context(tenant_a.schema_name):
        visitor = Cart.objects.get(lines__variant__sku="MRG-1")
        assert visitor.customer is None

    checkout = client_a.get("/shop/checkout/")
    assert checkout.status_code == 302
    assert checkout["Location"].startswith("/login/")
    sign_in(client_a, "merge-jane")

    with schema_context(tenant_a.schema_name):
        cart = Cart.objects.get(customer__username="merge-jane", checked_out_at__isnull=True)
        assert [(line.variant.sku, line.quantity) for line in cart.lines.all()] == [("MRG-1", 3)]
        assert Reservation.objects.filter(line__cart=cart).get().quantity == 3
        assert not Cart.objects.filter(pk=visitor.pk).exists()
    assert 'data-sku="MRG-1"' in client_a.get("/shop/cart/").content.decode()


def test_merging_adds_to_what_the_customer_had(client_a, tenant_a):
    jane = customer(tenant_a, "merge-add")
    with schema_context(tenant_a.schema_name):
        f.product(sku="MRG-2", stock=10)
        f.cart(customer=jane, sku="MRG-2", quantity=2)

    client_a.post("/shop/cart/add/", {"sku": "MRG-2", "quantity": 3})
    sign_in(client_a, "merge-add")

    with schema_context(tenant_a.schema_name):
        cart = Cart.objects.get(customer=jane, checked_out_at__isnull=True)
        assert cart.lines.get().quantity == 5
        assert Reservation.objects.filter(stock__variant__sku="MRG-2").get().quantity == 5


def test_a_signed_in_shopper_pays_once_however_often_the_form_is_sent(client_a, tenant_a):
    customer(tenant_a, "pay-jane")
    with schema_context(tenant_a.schema_name):
        f.product(sku="PAY-1", stock=5, price="10.00")
        f.shipping_method()
    sign_in(client_a, "pay-jane")
    client_a.post("/shop/cart/add/", {"sku": "PAY-1", "quantity": 2})
    form = client_a.get("/shop/checkout/")
    assert form.status_code == 200
    html = form.content.decode()
    assert "Standard delivery: 4.90" in html
    body = {"key": key_of(html), "shipping_method": "standard", "card_number": f.CARD,
            "shipping_address": "2 Market Square"}  # fmt: skip

    first = client_a.post("/shop/checkout/", body)
    again = client_a.post("/shop/checkout/", body)

    assert first.status_code == again.status_code == 302
    assert first["Location"] == again["Location"]
    with schema_context(tenant_a.schema_name):
        order = Order.objects.get(customer__username="pay-jane")
        assert (order.status, str(order.total)) == ("paid", "28.90")
    page = client_a.get(first["Location"]).content.decode()
    assert order.number in page
    assert "2 Market Square" in page
    invoice = client_a.get(f"/shop/orders/{order.pk}/invoice.pdf")
    assert invoice["Content-Type"] == "application/pdf"
    assert invoice.content.startswith(b"%PDF")
    assert order.number in client_a.get("/shop/orders/").content.decode()
    next_form = client_a.post("/shop/cart/add/", {"sku": "PAY-1", "quantity": 1})
    assert next_form.status_code == 302
    assert "2 Market Square" in client_a.get("/shop/checkout/").content.decode()


def test_a_declined_card_shows_the_form_again_and_writes_no_order(client_a, tenant_a):
    customer(tenant_a, "decline-jane")
    with schema_context(tenant_a.schema_name):
        f.product(sku="DEC-1", stock=5)
    sign_in(client_a, "decline-jane")
    client_a.post("/shop/cart/add/", {"sku": "DEC-1", "quantity": 1})
    html = client_a.get("/shop/checkout/").content.decode()

    response = client_a.post("/shop/checkout/", {
        "key": key_of(html), "shipping_method": "standard", "card_number": f.DECLINED,
        "shipping_address": "x"})  # fmt: skip

    assert response.status_code == 400
    assert "declined" in response.content.decode()
    with schema_context(tenant_a.schema_name):
        assert not Order.objects.filter(customer__username="decline-jane").exists()


def test_someone_elses_order_and_invoice_are_not_found(client_a, tenant_a):
    customer(tenant_a, "nosy-jane")
    with schema_context(tenant_a.schema_name):
        theirs = f.order()
    sign_in(client_a, "nosy-jane")

    assert client_a.get(f"/shop/orders/{theirs.pk}/").status_code == 404
    assert client_a.get(f"/shop/orders/{theirs.pk}/invoice.pdf").status_code == 404
    assert theirs.number not in client_a.get("/shop/orders/").content.decode()


def test_guests_check_out_only_when_the_shop_allows_it(client_a, tenant_a):
    with schema_context(tenant_a.schema_name):
        f.product(sku="GST-1", stock=5)
    client_a.post("/shop/cart/add/", {"sku": "GST-1", "quantity": 1})
    assert client_a.get("/shop/checkout/").status_code == 302  # to sign in
    with schema_context(tenant_a.schema_name):
        ShopSettings.objects.update_or_create(pk=1, defaults={"guest_checkout": True})

    html = client_a.get("/shop/checkout/").content.decode()
    response = client_a.post("/shop/checkout/", {
        "key": key_of(html), "shipping_method": "standard", "card_number": f.CARD,
        "shipping_address": "3 Guest Lane", "email": "guest@example.com"})  # fmt: skip

    assert response.status_code == 302, response.content
    with schema_context(tenant_a.schema_name):
        order = Order.objects.get(email="guest@example.com")
        assert order.customer is None
    assert client_a.get(f"/shop/orders/{order.pk}/").status_code == 200
    assert HostClient(client_a.host).get(f"/shop/orders/{order.pk}/").status_code == 404


def test_adding_more_than_is_free_is_refused_with_a_message(client_a, tenant_a):
    with schema_context(tenant_a.schema_name):
        f.product(sku="FULL-1", stock=1)

    response = client_a.post("/shop/cart/add/", {"sku": "FULL-1", "quantity": 2}, follow=True)

    assert "FULL-1: 1 available" in response.content.decode() or "Not enough stock" in (
        response.content.decode())  # fmt: skip
    with schema_context(tenant_a.schema_name):
        assert not Reservation.objects.filter(stock__variant__sku="FULL-1").exists()


# --- the back office ------------------------------------------------------------------------


def test_staff_fulfil_ship_and_return_from_the_order_page(client_a, tenant_a):
    with schema_context(tenant_a.schema_name):
        order = f.order(quantity=2)
        line = order.lines.get()
    client_a.sign_in()

    page = client_a.get(f"/commerce/orders/{order.pk}/")
    fulfilled = client_a.post(f"/commerce/orders/{order.pk}/fulfil/")
    shipped = client_a.post(f"/commerce/orders/{order.pk}/ship/", {"tracking": "T-1"})
    returned = client_a.post(f"/commerce/orders/{order.pk}/return/",
                             {f"line-{line.pk}": "1", "warehouse": "main"})  # fmt: skip
    bad = client_a.post(f"/commerce/orders/{order.pk}/ship/")

    assert page.status_code == 200
    assert 'id="fulfil"' in page.content.decode()
    assert fulfilled.status_code == shipped.status_code == returned.status_code == 302
    with schema_context(tenant_a.schema_name):
        order.refresh_from_db()
        assert order.status == "shipped"
        assert str(order.refunded_total) == "12.00"
    assert bad.status_code == 302  # refused: the message says why, nothing changed
    assert "cannot become shipped" in client_a.get(bad["Location"]).content.decode()


@pytest.mark.parametrize("path", ["/commerce/", "/commerce/stock/", "/commerce/movements/",
                                  "/commerce/orders/", "ORDER"])  # fmt: skip
def test_back_office_pages_open_for_staff_only(client_a, tenant_a, path):
    with schema_context(tenant_a.schema_name):
        order = f.order()
    path = f"/commerce/orders/{order.pk}/" if path == "ORDER" else path
    customer(tenant_a, "office-jane")
    shopper = HostClient(client_a.host)
    sign_in(shopper, "office-jane")

    anonymous = HostClient(client_a.host).get(path)
    refused = shopper.get(path)
    client_a.sign_in()
    allowed = client_a.get(path)

    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith("/login/")
    assert refused.status_code == 403
    assert allowed.status_code == 200


def test_the_dashboard_draws_sales_by_day(client_a, tenant_a):
    with schema_context(tenant_a.schema_name):
        f.order()
    client_a.sign_in()

    html = client_a.get("/commerce/").content.decode()

    assert 'id="sales-chart"' in html
    chart = html[
        html.index('id="sales-chart"') : html.index("</svg>", html.index('id="sales-chart"'))
    ]
    assert chart.count("<rect ") == 30
    assert chart.count('height="100.0"') == 1  # today, the best day


def test_stock_shows_what_carts_reserve(client_a, tenant_a):
    with schema_context(tenant_a.schema_name):
        f.product(sku="STK-1", stock=6)
        f.cart(sku="STK-1", quantity=2)
    client_a.sign_in()

    html = client_a.get("/commerce/stock/?q=STK-1").content.decode()

    row = re.search(r'<tr data-sku="STK-1">(.*?)</tr>', html).group(1)
    assert re.findall(r'class="num">(\d+)<', row) == ["6", "0", "2", "4"]


def test_discount_pages_need_the_plan_feature(client_a, tenant_a):
    client_a.sign_in()

    assert client_a.get("/commerce/discounts/").status_code == 403


def test_discount_codes_are_made_on_their_page(client_a, tenant_a, discounts_on):
    client_a.sign_in()

    new = "/commerce/discounts/new/"
    made = client_a.post(new, {"code": "page10", "kind": "percentage", "value": "10",
                               "is_active": "on"})  # fmt: skip
    refused = client_a.post(new, {"code": "BAD", "kind": "percentage", "value": "120"})

    assert made.status_code == 302, made.content
    assert refused.status_code == 400
    with schema_context(tenant_a.schema_name):
        assert DiscountCode.objects.get(code="PAGE10").value == 10
    assert "PAGE10" in client_a.get("/commerce/discounts/").content.decode()


def test_another_tenants_orders_are_not_found_on_these_pages(client_a, shop_tenant_slug):
    with schema_context(Tenant.objects.get(slug=shop_tenant_slug).schema_name):
        theirs = f.order()
        their_product = f.product(sku="THEIRS-P")
    client_a.sign_in()

    assert client_a.get(f"/commerce/orders/{theirs.pk + 100_000}/").status_code == 404
    assert client_a.get(f"/shop/p/{their_product.slug}/").status_code == 404
    other = HostClient(host_of(shop_tenant_slug))
    other.sign_in()
    assert other.get(f"/commerce/orders/{theirs.pk}/").status_code == 200


def test_a_tenant_without_e_commerce_has_none_of_these_pages(client_b):
    for path in ("/shop/cart/", "/shop/checkout/", "/shop/orders/", "/shop/p/x/"):
        assert client_b.get(path).status_code == 403, path
