"""The order state machine: every allowed move, every forbidden one a 409 CONFLICT that writes
nothing; fulfilment takes units out of stock (sale movements); cancelling releases the stock
and refunds the payment; each move on the timeline and in the audit trail."""

import pytest
from django_tenants.utils import schema_context

from apps.commerce.constants import OrderStatus
from apps.commerce.models import Order, OrderEvent, Payment, Stock, StockMovement
from apps.commerce.services import orders
from apps.core.models import AuditEntry
from tests.commerce import factories as f

pytestmark = pytest.mark.django_db
ORDERS = "/api/v1/commerce/orders/"
S = OrderStatus
ACTIONS = ("fulfil", "ship", "deliver", "cancel")
#: action → the statuses it is allowed from and the status it leads to.
ALLOWED = {
    "fulfil": ({S.PAID, S.PARTIALLY_FULFILLED}, S.FULFILLED),
    "ship": ({S.FULFILLED}, S.SHIPPED),
    "deliver": ({S.SHIPPED}, S.DELIVERED),
    "cancel": ({S.PENDING_PAYMENT, S.PAID}, S.CANCELLED),
}


def an_order_in(status: str, quantity: int = 2) -> Order:
    order = f.order(quantity=quantity)
    if status == S.PENDING_PAYMENT:
        Order.objects.filter(pk=order.pk).update(status=status)
    elif status == S.PARTIALLY_FULFILLED:
        orders.order_fulfil(order=order, lines=[{"line": order.lines.get().pk, "quantity": 1}])
    elif status == S.CANCELLED:
        orders.order_cancel(order=order)
    elif status != S.PAID:
        orders.order_fulfil(order=order)
        if status in (S.SHIPPED, S.DELIVERED):
            orders.order_ship(order=order)
        if status == S.DELIVERED:
            orders.order_deliver(order=order)
    order.refresh_from_db()
    assert order.status == status
    return order


def snapshot(order: Order) -> tuple:
    stock = Stock.objects.get(variant__sku=order.lines.get().sku)
    return (Order.objects.get(pk=order.pk).status, stock.quantity, stock.allocated,
            StockMovement.objects.count(), OrderEvent.objects.filter(order=order).count(),
            list(Payment.objects.filter(order=order).values_list("status", flat=True)))  # fmt: skip


CASES = [(action, status) for action in ACTIONS for status in S.values]


@pytest.mark.parametrize(("action", "status"), CASES)
def test_each_action_from_each_status(api_a, tenant_a, action, status):
    with schema_context(tenant_a.schema_name):
        order = an_order_in(status)
        before = snapshot(order)
        events = OrderEvent.objects.filter(order=order).count()

    response = api_a.post_json(f"{ORDERS}{order.pk}/{action}/", {})

    sources, target = ALLOWED[action]
    with schema_context(tenant_a.schema_name):
        if status in sources:
            assert response.status_code == 200, response.content
            assert response.json()["data"]["attributes"]["status"] == target
            assert OrderEvent.objects.filter(order=order).count() > events
            assert AuditEntry.objects.filter(
                action="status", object_type="commerce.order", object_id=str(order.pk)
            ).exists()
        else:
            assert response.status_code == 409, response.content
            assert response.json()["error"]["code"] == "CONFLICT"
            assert snapshot(order) == before


def test_fulfilment_takes_units_out_of_stock_part_by_part(api_a, in_tenant_a):
    order = f.order(quantity=3)  # 5 on hand, 3 allocated
    line = order.lines.get()

    part = api_a.post_json(
        f"{ORDERS}{order.pk}/fulfil/", {"lines": [{"line": line.pk, "quantity": 2}]}
    )
    stock = Stock.objects.get(variant__sku=line.sku)
    assert part.json()["data"]["attributes"]["status"] == "partially_fulfilled"
    assert (stock.quantity, stock.allocated) == (3, 1)
    rest = api_a.post_json(f"{ORDERS}{order.pk}/fulfil/", {})

    stock.refresh_from_db()
    assert rest.json()["data"]["attributes"]["status"] == "fulfilled"
    assert (stock.quantity, stock.allocated) == (2, 0)
    sales = StockMovement.objects.filter(order=order, kind="sale").values_list(
        "quantity", flat=True
    )
    assert sorted(sales) == [-2, -1]
    too_many = api_a.post_json(
        f"{ORDERS}{order.pk}/fulfil/", {"lines": [{"line": line.pk, "quantity": 1}]}
    )
    assert too_many.status_code in (400, 409)


def test_cancelling_a_paid_order_releases_its_stock_and_refunds_it(api_a, in_tenant_a):
    order = f.order(quantity=2)
    sku = order.lines.get().sku

    response = api_a.post_json(f"{ORDERS}{order.pk}/cancel/", {"reason": "Changed my mind"})

    assert response.status_code == 200, response.content
    stock = Stock.objects.get(variant__sku=sku)
    assert (stock.quantity, stock.allocated) == (4, 0)
    payment = Payment.objects.get(order=order)
    assert payment.status == "refunded"
    assert payment.refund_reference.startswith("sbx_re_")
    kinds = [e["kind"] for e in response.json()["data"]["attributes"]["timeline"]]
    assert kinds == ["placed", "paid", "refunded", "cancelled"]


def test_fulfilling_an_unknown_line_is_refused_and_writes_nothing(api_a, in_tenant_a):
    order = f.order()
    before = snapshot(order)

    response = api_a.post_json(
        f"{ORDERS}{order.pk}/fulfil/", {"lines": [{"line": 999_999, "quantity": 1}]}
    )

    assert response.status_code == 400
    assert snapshot(order) == before
