"""Carts over the API: a line reserves its stock (subtracted from the availability every
listing, the storefront and the API show; refused past what is free, naming the SKU); another
buyer cannot take reserved units until the reservation expires; a cart is checked out under one
Idempotency-Key into one order (its reservations become the allocation); discount codes
(percentage, fixed, dates, usage limit, plan feature); a shopper sees only their own cart."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone
from django_tenants.utils import schema_context

from apps.commerce.models import Allocation, Cart, DiscountCode, Order, Reservation, Stock
from apps.commerce.services import carts, orders
from apps.commerce.services import shop as shop_services
from tests.commerce import factories as f
from tests.commerce.test_checkout import buy, shopper
from tests.dispatching import record_dispatch

pytestmark = pytest.mark.django_db
CARTS = "/api/v1/commerce/carts/"


def open_cart(client) -> dict:
    response = client.post_json(CARTS, {})
    assert response.status_code == 201, response.content
    return response.json()["data"]


def set_line(client, cart_id, sku, quantity):
    return client.post_json(f"{CARTS}{cart_id}/lines/", {"sku": sku, "quantity": quantity})


def check_out(client, cart_id, key="cart-key", **extra):
    body = {"shipping_method": "standard", "card_number": f.CARD, **extra}
    return client.post_json(f"{CARTS}{cart_id}/checkout/", body, HTTP_IDEMPOTENCY_KEY=key)


def available(client, sku) -> int:
    rows = client.get(f"/api/v1/commerce/variants/?sku={sku}").json()["data"]
    return rows[0]["attributes"]["available"]


def test_a_line_reserves_its_units_from_what_everyone_is_shown(api_a, client_a, tenant_a):
    with schema_context(tenant_a.schema_name):
        f.product(name="Reserved Router", sku="RSV-1", stock=5)
    cart = open_cart(api_a)

    response = set_line(api_a, cart["id"], "RSV-1", 3)

    assert response.status_code == 200, response.content
    line = response.json()["data"]["attributes"]["lines"][0]
    assert (line["sku"], line["quantity"], line["reserved"]) == ("RSV-1", 3, 3)
    assert available(api_a, "RSV-1") == 2
    stock = api_a.get("/api/v1/commerce/stock/?sku=RSV-1").json()["data"][0]["attributes"]
    assert (stock["quantity"], stock["allocated"], stock["reserved"], stock["available"]) == (
        5, 0, 3, 2)  # fmt: skip
    assert "2 in stock" in client_a.get("/shop/?q=Reserved").content.decode()
    with schema_context(tenant_a.schema_name):
        reservation = Reservation.objects.get(line__cart_id=cart["id"])
        minutes = (reservation.reserved_until - timezone.now()).total_seconds() / 60
        assert 14 < minutes <= 15  # the default reservation time


def test_more_than_is_free_is_a_conflict_naming_the_sku_and_changes_nothing(api_a, tenant_a):
    with schema_context(tenant_a.schema_name):
        f.product(sku="RSV-2", stock=4)
        f.cart(sku="RSV-2", quantity=3, customer=f.User.objects.get(username="owner"))
    jane = shopper(tenant_a, "jane-cart-1")
    cart = open_cart(jane)

    refused = set_line(jane, cart["id"], "RSV-2", 2)

    assert refused.status_code == 409, refused.content
    error = refused.json()["error"]
    assert error["code"] == "CONFLICT"
    assert "RSV-2" in error["message"]
    assert error["details"][0]["message"] == "RSV-2: 1 available"
    with schema_context(tenant_a.schema_name):
        assert not Cart.objects.get(pk=cart["id"]).lines.exists()
        assert Reservation.objects.filter(stock__variant__sku="RSV-2").count() == 1


def test_reserved_units_cannot_be_bought_by_another_until_the_reservation_expires(api_a, tenant_a):
    with schema_context(tenant_a.schema_name):
        f.product(sku="RSV-3", stock=2)
    cart = open_cart(api_a)
    set_line(api_a, cart["id"], "RSV-3", 2)
    jane = shopper(tenant_a, "jane-cart-2")

    refused = buy(jane, [{"sku": "RSV-3", "quantity": 1}], key="j-1")
    with schema_context(tenant_a.schema_name):
        Reservation.objects.filter(line__cart_id=cart["id"]).update(
            reserved_until=timezone.now() - timedelta(seconds=1)
        )
    freed = buy(jane, [{"sku": "RSV-3", "quantity": 1}], key="j-2")

    assert refused.status_code == 409, refused.content
    assert refused.json()["error"]["details"][0]["message"] == "RSV-3: 0 available, 1 asked"
    assert freed.status_code == 201, freed.content
    assert available(api_a, "RSV-3") == 1


def test_a_cart_checks_out_once_under_its_key_and_its_reservation_becomes_the_allocation(
    api_a, tenant_a, django_capture_on_commit_callbacks, monkeypatch
):
    # the confirmation is the worker's (task commerce.order_mail), run here in its stead
    mailed = record_dispatch(monkeypatch, "commerce.order_mail", then=orders.order_mail)
    with schema_context(tenant_a.schema_name):
        f.product(sku="CART-1", stock=5, price="10.00")
    cart = open_cart(api_a)
    set_line(api_a, cart["id"], "CART-1", 2)

    with django_capture_on_commit_callbacks(execute=True):
        first = check_out(api_a, cart["id"], shipping_address="1 Shop Street")
    again = check_out(api_a, cart["id"], shipping_address="1 Shop Street")
    other_key = check_out(api_a, cart["id"], key="another-key", shipping_address="1 Shop Street")

    assert first.status_code == 201, first.content
    order = first.json()["data"]
    assert (order["attributes"]["status"], order["attributes"]["total"]) == ("paid", "28.90")
    assert again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert again.json()["data"]["id"] == order["id"]
    assert other_key.status_code == 409, other_key.content
    with schema_context(tenant_a.schema_name):
        stock = Stock.objects.get(variant__sku="CART-1")
        assert (stock.quantity, stock.allocated) == (5, 2)
        assert not Reservation.objects.filter(line__cart_id=cart["id"]).exists()
        assert Allocation.objects.filter(line__order_id=order["id"]).count() == 1
        assert Order.objects.filter(cart_token=cart["attributes"]["token"]).count() == 1
    assert api_a.get(f"{CARTS}{cart['id']}/").status_code == 404  # closed: a new cart next
    assert open_cart(api_a)["id"] != cart["id"]
    assert mailed == [int(order["id"])]
    assert [m.subject for m in mail.outbox] == [
        f"Your order {order['attributes']['number']} is confirmed"]  # fmt: skip
    assert "28.90" in mail.outbox[0].body


def test_the_next_checkout_defaults_to_the_address_shipped_to_last(api_a, tenant_a):
    with schema_context(tenant_a.schema_name):
        f.product(sku="ADDR-1", stock=5)
    buy(api_a, [{"sku": "ADDR-1", "quantity": 1}], key="a-1", shipping_address="9 Elm Road")

    second = buy(api_a, [{"sku": "ADDR-1", "quantity": 1}], key="a-2")

    assert second.json()["data"]["attributes"]["shipping_address"] == "9 Elm Road"


def test_a_shopper_sees_only_their_own_cart(api_a, tenant_a):
    jane = shopper(tenant_a, "jane-cart-3")
    hers = open_cart(jane)

    assert api_a.get(f"{CARTS}{hers['id']}/").status_code == 404
    assert set_line(api_a, hers["id"], "X", 1).status_code == 404
    assert check_out(api_a, hers["id"]).status_code == 404
    assert [row["id"] for row in jane.get(CARTS).json()["data"]] == [hers["id"]]
    assert api_a.get(CARTS).json()["data"] == []


def test_carts_need_a_signed_in_shopper(client_a):
    assert client_a.post_json(CARTS, {}).status_code == 401
    assert client_a.get(CARTS).status_code == 401


@pytest.mark.parametrize(
    ("body", "field"),
    [({"sku": "NOPE", "quantity": 1}, "sku"),
     ({"sku": "BAD-1", "quantity": -1}, "quantity"),
     ({"sku": "BAD-1", "quantity": 10_000}, "quantity"),
     ({"sku": "BAD-1"}, "quantity")],
)  # fmt: skip
def test_bad_lines_are_validation_errors_and_write_nothing(api_a, tenant_a, body, field):
    with schema_context(tenant_a.schema_name):
        f.product(sku="BAD-1", stock=5)
    cart = open_cart(api_a)

    response = api_a.post_json(f"{CARTS}{cart['id']}/lines/", body)

    assert response.status_code == 400, response.content
    assert field in {d["field"] for d in response.json()["error"]["details"]}
    with schema_context(tenant_a.schema_name):
        assert not Reservation.objects.filter(line__cart_id=cart["id"]).exists()


def test_a_percentage_code_comes_off_the_lines_before_tax(api_a, tenant_a, discounts_on):
    with schema_context(tenant_a.schema_name):
        f.product(sku="DSC-1", stock=5, price="50.00")
        f.discount(code="SPRING10", kind="percentage", value="10.00")
    cart = open_cart(api_a)
    set_line(api_a, cart["id"], "DSC-1", 2)

    applied = api_a.post_json(f"{CARTS}{cart['id']}/discount/", {"code": "spring10"})
    order = check_out(api_a, cart["id"])

    assert applied.status_code == 200, applied.content
    assert applied.json()["data"]["attributes"]["totals"] == {
        "subtotal": "100.00", "discount_total": "10.00", "tax_total": "18.00",
        "total": "108.00"}  # fmt: skip
    attributes = order.json()["data"]["attributes"]
    assert (attributes["subtotal"], attributes["discount_total"], attributes["tax_total"],
            attributes["shipping_total"], attributes["total"]) == (
        "100.00", "10.00", "18.00", "4.90", "112.90")  # fmt: skip
    assert attributes["discount_code"] == "SPRING10"
    with schema_context(tenant_a.schema_name):
        assert DiscountCode.objects.get(code="SPRING10").times_used == 1


def test_a_fixed_code_never_takes_more_than_the_lines(api_a, tenant_a, discounts_on):
    with schema_context(tenant_a.schema_name):
        f.product(sku="DSC-2", stock=5, price="8.00")
        f.discount(code="MINUS20", kind="fixed", value="20.00")

    order = buy(api_a, [{"sku": "DSC-2", "quantity": 1}], key="fx", discount_code="MINUS20")

    attributes = order.json()["data"]["attributes"]
    assert (attributes["discount_total"], attributes["tax_total"], attributes["total"]) == (
        "8.00", "0.00", "4.90")  # fmt: skip


@pytest.mark.parametrize(
    ("fields", "message"),
    [({"valid_until": "past"}, "not a valid code"),
     ({"valid_from": "future"}, "not a valid code"),
     ({"is_active": False}, "not a valid code"),
     ({"usage_limit": 1, "used": 1}, "used up")],
)  # fmt: skip
def test_codes_out_of_their_dates_inactive_or_used_up_are_refused(
    api_a, tenant_a, discounts_on, fields, message
):
    now = timezone.now()
    with schema_context(tenant_a.schema_name):
        f.product(sku="DSC-3", stock=5)
        used = fields.pop("used", 0)
        if fields.get("valid_until") == "past":
            fields["valid_until"] = now - timedelta(days=1)
        if fields.get("valid_from") == "future":
            fields["valid_from"] = now + timedelta(days=1)
        code = f.discount(**fields)
        DiscountCode.objects.filter(pk=code.pk).update(times_used=used)
        orders = Order.objects.count()

    response = buy(api_a, [{"sku": "DSC-3", "quantity": 1}], key="bad", discount_code=code.code)

    assert response.status_code == 400, response.content
    detail = response.json()["error"]["details"][0]
    assert detail["field"] == "discount_code"
    assert message in detail["message"]
    with schema_context(tenant_a.schema_name):
        assert Order.objects.count() == orders


def test_discounts_outside_the_plan_are_feature_not_in_plan(api_a, tenant_a):
    with schema_context(tenant_a.schema_name):
        f.product(sku="DSC-4", stock=5)
    cart = open_cart(api_a)

    response = api_a.post_json(f"{CARTS}{cart['id']}/discount/", {"code": "ANY"})

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "FEATURE_NOT_IN_PLAN"
    assert api_a.get("/api/v1/commerce/discount-codes/").status_code == 403


def test_the_database_refuses_a_code_used_past_its_limit(in_tenant_a, discounts_on):
    from django.db import IntegrityError, transaction

    with schema_context(in_tenant_a.schema_name):
        code = f.discount(usage_limit=2)
        with pytest.raises(IntegrityError), transaction.atomic():
            DiscountCode.objects.filter(pk=code.pk).update(times_used=3)


def test_a_usage_limit_below_the_uses_is_refused(in_tenant_a, discounts_on):
    from django.core.exceptions import ValidationError

    with schema_context(in_tenant_a.schema_name):
        code = f.discount(usage_limit=5)
        DiscountCode.objects.filter(pk=code.pk).update(times_used=3)
        code.refresh_from_db()
        with pytest.raises(ValidationError):
            shop_services.discount_update(discount=code, usage_limit=2)


def test_the_sweep_deletes_expired_reservations_only(in_tenant_a):
    live = f.cart(quantity=1)
    stale = f.cart(customer=f.User.objects.create(username="sweep-me"), quantity=1)
    Reservation.objects.filter(line__cart=stale).update(reserved_until=timezone.now())

    assert carts.reservations_sweep() == 1
    assert Reservation.objects.filter(line__cart=live).count() == 1
    assert Decimal("1") == Reservation.objects.filter(line__cart=live).get().quantity
