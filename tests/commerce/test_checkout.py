"""Checkout in one call under an Idempotency-Key: 201 with the paid order; the same key again is
the same order (one allocation, one charge); too little stock is 409 naming the SKU and writes
nothing; a declined card writes nothing; a shopper sees only their own orders."""

import pytest
from django_tenants.utils import schema_context

from apps.commerce.models import Allocation, Order, Payment, Stock
from apps.identity import services as identity
from apps.identity.models import Role
from tests.commerce import factories as f
from tests.conftest import TENANTS, HostClient, host_of, obtain_tokens

pytestmark = pytest.mark.django_db
CHECKOUT = "/api/v1/commerce/checkout/"
ORDERS = "/api/v1/commerce/orders/"


def buy(client, lines, key="k-1", card=f.CARD, **extra):
    body = {"lines": lines, "shipping_method": "standard", "card_number": card, **extra}
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key is not None else {}
    return client.post_json(CHECKOUT, body, **headers)


def shopper(tenant, username: str) -> HostClient:
    """A tenant user with the Customer role (ISP portal and shop), signed in with a token."""
    with schema_context(tenant.schema_name):
        user = identity.user_create(username=username, password="shopper-password-1",
                                    email=f"{username}@example.com")  # fmt: skip
        identity.role_grant(user=user, role=Role.objects.get(name="Customer"))
    client = HostClient(host_of(TENANTS["a"]))
    return client.authenticate(obtain_tokens(client, username, "shopper-password-1")["access"])


def state(tenant, sku):
    with schema_context(tenant.schema_name):
        stock = Stock.objects.get(variant__sku=sku)
        return (stock.quantity, stock.allocated, Order.objects.count(), Payment.objects.count(),
                Allocation.objects.count())  # fmt: skip


def test_checkout_answers_the_paid_order_with_its_totals(api_a, tenant_a):
    with schema_context(tenant_a.schema_name):
        f.product(sku="CO-1", stock=5, price="10.00")  # standard tax 20%, shipping 4.90

    response = buy(api_a, [{"sku": "CO-1", "quantity": 2}])

    assert response.status_code == 201, response.content
    order = response.json()["data"]
    attributes = order["attributes"]
    assert order["type"] == "order"
    assert attributes["status"] == "paid"
    assert (attributes["subtotal"], attributes["tax_total"], attributes["shipping_total"],
            attributes["total"]) == ("20.00", "4.00", "4.90", "28.90")  # fmt: skip
    assert [(line["sku"], line["quantity"]) for line in attributes["lines"]] == [("CO-1", 2)]
    assert [event["kind"] for event in attributes["timeline"]] == ["placed", "paid"]
    assert state(tenant_a, "CO-1")[:2] == (5, 2)  # allocated, not yet shipped
    with schema_context(tenant_a.schema_name):
        payment = Payment.objects.get(order_id=order["id"])
        assert (payment.amount, payment.card_last4, payment.status) == (
            __import__("decimal").Decimal("28.90"),
            "4242",
            "succeeded",
        )


def test_the_same_key_again_is_the_same_order_one_allocation_one_charge(api_a, tenant_a):
    with schema_context(tenant_a.schema_name):
        f.product(sku="CO-2", stock=5)

    first = buy(api_a, [{"sku": "CO-2", "quantity": 1}], key="double-click")
    again = buy(api_a, [{"sku": "CO-2", "quantity": 1}], key="double-click")

    assert first.status_code == again.status_code == 201
    assert first.json()["data"]["id"] == again.json()["data"]["id"]
    assert again["Idempotent-Replayed"] == "true"
    assert state(tenant_a, "CO-2") == (5, 1, 1, 1, 1)


def test_the_same_key_for_another_checkout_is_a_conflict(api_a, tenant_a):
    with schema_context(tenant_a.schema_name):
        f.product(sku="CO-3", stock=5)
    buy(api_a, [{"sku": "CO-3", "quantity": 1}], key="reused")

    response = buy(api_a, [{"sku": "CO-3", "quantity": 2}], key="reused")

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "CONFLICT"
    assert state(tenant_a, "CO-3") == (5, 1, 1, 1, 1)


def test_too_little_stock_is_a_conflict_naming_the_sku_and_writes_nothing(api_a, tenant_a):
    with schema_context(tenant_a.schema_name):
        f.product(sku="CO-OK", stock=5)
        f.product(sku="CO-SHORT", stock=2)
    before = state(tenant_a, "CO-OK")

    response = buy(api_a, [{"sku": "CO-OK", "quantity": 1}, {"sku": "CO-SHORT", "quantity": 3}])

    assert response.status_code == 409, response.content
    error = response.json()["error"]
    assert error["code"] == "CONFLICT"
    assert [d["message"] for d in error["details"]] == ["CO-SHORT: 2 available, 3 asked"]
    assert "CO-SHORT" in error["message"]
    assert state(tenant_a, "CO-OK") == before
    assert state(tenant_a, "CO-SHORT")[:2] == (2, 0)


def test_a_declined_card_writes_nothing(api_a, tenant_a):
    with schema_context(tenant_a.schema_name):
        f.product(sku="CO-4", stock=5)
    before = state(tenant_a, "CO-4")

    response = buy(api_a, [{"sku": "CO-4", "quantity": 1}], card=f.DECLINED)

    assert response.status_code == 400, response.content
    assert response.json()["error"]["details"][0]["field"] == "card_number"
    assert state(tenant_a, "CO-4") == before


@pytest.mark.parametrize(
    ("lines", "key", "extra", "field"),
    [([], "k", {}, "lines"),
     ([{"sku": "CO-5", "quantity": 0}], "k", {}, "lines"),
     ([{"sku": "CO-5", "quantity": 100_000}], "k", {}, "lines"),
     ([{"sku": "CO-5", "quantity": 1}] * 51, "k", {}, "lines"),
     ([{"sku": "NOPE", "quantity": 1}], "k", {}, "lines"),
     ([{"sku": "CO-5", "quantity": 1}], None, {}, "Idempotency-Key"),
     ([{"sku": "CO-5", "quantity": 1}], "x" * 101, {}, "Idempotency-Key"),
     ([{"sku": "CO-5", "quantity": 1}], "k", {"shipping_method": "teleport"}, "shipping_method")],
)  # fmt: skip
def test_bad_checkouts_are_validation_errors_and_write_nothing(
    api_a, tenant_a, lines, key, extra, field
):
    with schema_context(tenant_a.schema_name):
        f.product(sku="CO-5", stock=5)
    before = state(tenant_a, "CO-5")

    response = buy(api_a, lines, key=key, **extra)

    assert response.status_code == 400, response.content
    details = response.json()["error"]["details"]
    assert any(d["field"].split(".")[0] == field for d in details), details
    assert state(tenant_a, "CO-5") == before


def test_a_draft_product_cannot_be_bought(api_a, tenant_a):
    with schema_context(tenant_a.schema_name):
        f.product(sku="CO-DRAFT", stock=5, status="draft")

    response = buy(api_a, [{"sku": "CO-DRAFT", "quantity": 1}])

    assert response.status_code == 400
    assert state(tenant_a, "CO-DRAFT")[:3] == (5, 0, 0)


def test_a_shopper_buys_and_sees_only_their_own_orders(tenant_a):
    with schema_context(tenant_a.schema_name):
        f.product(sku="CO-6", stock=5)
        others = f.order()
    jane = shopper(tenant_a, "jane-shopper")

    bought = buy(jane, [{"sku": "CO-6", "quantity": 1}], key="jane-1")
    listed = jane.get(ORDERS)

    assert bought.status_code == 201, bought.content
    assert [row["id"] for row in listed.json()["data"]] == [bought.json()["data"]["id"]]
    assert jane.get(f"{ORDERS}{others.pk}/").status_code == 404
    fulfil = jane.post_json(f"{ORDERS}{bought.json()['data']['id']}/fulfil/", {})
    assert fulfil.status_code == 403
    assert jane.get("/api/v1/commerce/products/").status_code == 403  # the back office's


def test_keys_are_per_customer(api_a, tenant_a):
    with schema_context(tenant_a.schema_name):
        f.product(sku="CO-7", stock=5)
    jane = shopper(tenant_a, "jane-keys")

    mine = buy(api_a, [{"sku": "CO-7", "quantity": 1}], key="same")
    hers = buy(jane, [{"sku": "CO-7", "quantity": 1}], key="same")

    assert mine.status_code == hers.status_code == 201
    assert mine.json()["data"]["id"] != hers.json()["data"]["id"]


def test_checkout_needs_a_signed_in_shopper_or_staff(client_a, outsider_client):
    assert buy(client_a, [{"sku": "X", "quantity": 1}]).status_code == 401
    refused = buy(outsider_client, [{"sku": "X", "quantity": 1}])
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "PERMISSION_DENIED"


@pytest.fixture
def outsider_client(tenant_a):
    with schema_context(tenant_a.schema_name):
        user = identity.user_create(username="tech-only", password="tech-password-1")
        identity.role_grant(user=user, role=Role.objects.get(name="Field Tech"))
    client = HostClient(host_of(TENANTS["a"]))
    return client.authenticate(obtain_tokens(client, "tech-only", "tech-password-1")["access"])
