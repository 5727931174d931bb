"""Returns and partial refunds: returned units go back into the chosen warehouse (return
movements of the ledger) and are refunded through the gateway (their price with tax, or less);
a refund without a return gives part of the payment back; both on the timeline and audited;
what cannot be returned or refunded is refused and writes nothing. Shipping sends its email."""

from decimal import Decimal

import pytest
from django.core import mail

from apps.commerce.models import Order, OrderReturn, Payment, Stock, StockMovement, Warehouse
from apps.commerce.services import orders
from apps.core.models import AuditEntry
from tests.commerce import factories as f
from tests.dispatching import record_dispatch

pytestmark = pytest.mark.django_db
ORDERS = "/api/v1/commerce/orders/"


def fulfilled(quantity=3):
    order = f.order(quantity=quantity)  # unit 10.00, tax 20 %, shipping 4.90
    orders.order_fulfil(order=order)
    return Order.objects.get(pk=order.pk)


def test_a_return_restocks_the_chosen_warehouse_and_refunds_the_units(api_a, in_tenant_a):
    order = fulfilled(3)  # total 3 × 10 + 6 tax + 4.90 = 40.90
    line = order.lines.get()
    Warehouse.objects.create(code="returns", name="Returns desk")

    response = api_a.post_json(f"{ORDERS}{order.pk}/returns/", {
        "lines": [{"line": line.pk, "quantity": 2}], "warehouse": "returns",
        "reason": "Wrong colour"})  # fmt: skip

    assert response.status_code == 200, response.content
    attributes = response.json()["data"]["attributes"]
    assert attributes["refunded_total"] == "24.00"  # 2 × 10.00 + 20 % tax
    assert attributes["lines"][0]["quantity_returned"] == 2
    assert [e["kind"] for e in attributes["timeline"]][-2:] == ["returned", "refunded"]
    restocked = Stock.objects.get(variant__sku=line.sku, warehouse__code="returns")
    assert restocked.quantity == 2
    movement = StockMovement.objects.get(variant__sku=line.sku, kind="return")
    assert (movement.quantity, movement.warehouse.code) == (2, "returns")
    payment = Payment.objects.get(order=order)
    assert (payment.refunded_amount, payment.status) == (Decimal("24.00"), "succeeded")
    assert AuditEntry.objects.filter(action="return", object_id=str(order.pk)).exists()
    assert OrderReturn.objects.get(order=order).refund == Decimal("24.00")


def test_a_return_may_refund_less_and_the_rest_can_be_refunded_later(api_a, in_tenant_a):
    order = fulfilled(1)  # 10 + 2 + 4.90 = 16.90
    line = order.lines.get()

    returned = api_a.post_json(f"{ORDERS}{order.pk}/returns/", {
        "lines": [{"line": line.pk, "quantity": 1}], "warehouse": "main",
        "refund": "5.00"})  # fmt: skip
    refunded = api_a.post_json(f"{ORDERS}{order.pk}/refund/", {"amount": "11.90"})
    too_much = api_a.post_json(f"{ORDERS}{order.pk}/refund/", {"amount": "0.01"})

    assert returned.status_code == 200, returned.content
    assert refunded.status_code == 200, refunded.content
    assert refunded.json()["data"]["attributes"]["refunded_total"] == "16.90"
    assert Payment.objects.get(order=order).status == "refunded"
    assert too_much.status_code == 400
    assert too_much.json()["error"]["details"][0]["field"] == "amount"


def test_more_units_than_were_fulfilled_cannot_be_returned(api_a, in_tenant_a):
    order = f.order(quantity=2)
    line = order.lines.get()
    orders.order_fulfil(order=order, lines=[{"line": line.pk, "quantity": 1}])
    moves = StockMovement.objects.count()

    refused = api_a.post_json(f"{ORDERS}{order.pk}/returns/", {
        "lines": [{"line": line.pk, "quantity": 2}], "warehouse": "main"})  # fmt: skip

    assert refused.status_code == 400, refused.content
    assert StockMovement.objects.count() == moves
    assert Order.objects.get(pk=order.pk).refunded_total == Decimal("0.00")


@pytest.mark.parametrize("status", ["paid", "cancelled"])
def test_nothing_fulfilled_means_nothing_to_return(api_a, in_tenant_a, status):
    order = f.order(quantity=1)
    if status == "cancelled":
        orders.order_cancel(order=order)
    line = order.lines.get()

    refused = api_a.post_json(f"{ORDERS}{order.pk}/returns/", {
        "lines": [{"line": line.pk, "quantity": 1}], "warehouse": "main"})  # fmt: skip

    assert refused.status_code == 409, refused.content
    assert refused.json()["error"]["code"] == "CONFLICT"
    assert not OrderReturn.objects.filter(order=order).exists()


def test_a_cancelled_order_has_nothing_to_refund(api_a, in_tenant_a):
    order = f.order()
    orders.order_cancel(order=order)

    refused = api_a.post_json(f"{ORDERS}{order.pk}/refund/", {"amount": "1.00"})

    assert refused.status_code == 409


def test_a_shopper_cannot_refund_their_own_order(tenant_a, in_tenant_a):
    from tests.commerce.test_checkout import shopper

    jane = shopper(tenant_a, "jane-refund")
    order = f.order(customer=f.User.objects.get(username="jane-refund"))

    refused = jane.post_json(f"{ORDERS}{order.pk}/refund/", {"amount": "1.00"})

    assert refused.status_code == 403


def test_shipping_sends_the_customer_an_email_with_the_tracking_number(
    api_a, in_tenant_a, django_capture_on_commit_callbacks, monkeypatch
):
    # the email is the worker's (task commerce.order_mail), run here in its stead
    mailed = record_dispatch(monkeypatch, "commerce.order_mail", then=orders.order_mail)
    order = fulfilled(1)
    order.email = "buyer@example.com"
    Order.objects.filter(pk=order.pk).update(email="buyer@example.com")

    with django_capture_on_commit_callbacks(execute=True):
        api_a.post_json(f"{ORDERS}{order.pk}/ship/", {"tracking": "TRK-42"})

    assert mailed == [order.pk]
    assert [m.to for m in mail.outbox] == [["buyer@example.com"]]
    assert mail.outbox[0].subject == f"Your order {order.number} is on its way"
    assert "TRK-42" in mail.outbox[0].body
