"""No overselling and exactly-once checkout over HTTP, against gunicorn and the real stores:
50 concurrent buyers on the last 10 units → exactly 10 orders and nothing left to sell; the
same checkout sent 5 times at once under one Idempotency-Key → one order and one charge."""

import json
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest
from django_tenants.utils import schema_context

from apps.commerce.models import (
    Allocation,
    Order,
    Payment,
    Product,
    ProductVariant,
    Stock,
    StockMovement,
)
from tests.commerce import factories as f
from tests.committed import committed
from tests.conftest import obtain_tokens
from tests.servers import Gunicorn

pytestmark = [pytest.mark.django_db, pytest.mark.slow]
CHECKOUT = "/api/v1/commerce/checkout/"


def _in_a(tenant, fn, *args, **kwargs):
    with schema_context(tenant.schema_name):
        return fn(*args, **kwargs)


def _buy(url: str, host: str, token: str, sku: str, key: str) -> tuple[int, dict]:
    body = {"lines": [{"sku": sku, "quantity": 1}], "shipping_method": "standard",
            "card_number": f.CARD}  # fmt: skip
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), method="POST",
        headers={"Host": host, "Authorization": f"Bearer {token}", "Idempotency-Key": key,
                 "Content-Type": "application/json"},
    )  # fmt: skip
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def _clean(sku: str) -> None:
    orders = Order.objects.filter(lines__sku=sku)
    Payment.objects.filter(order__in=orders).delete()
    StockMovement.objects.filter(variant__sku=sku).delete()
    Allocation.objects.filter(line__sku=sku).delete()
    Order.objects.filter(pk__in=list(orders.values_list("pk", flat=True))).delete()
    Stock.objects.filter(variant__sku=sku).delete()
    Product.objects.filter(variants__sku=sku).delete()


def _stock_of(sku: str) -> tuple[int, int]:
    stock = Stock.objects.get(variant__sku=sku)
    return stock.quantity, stock.allocated


def test_fifty_concurrent_buyers_on_the_last_ten_units_over_gunicorn(client_a, tenant_a):
    token = obtain_tokens(client_a)["access"]
    committed(_in_a, tenant_a, f.product, sku="LAST-10", stock=10)
    try:
        with Gunicorn(workers=4) as web, ThreadPoolExecutor(50) as pool:
            url = f"{web.url}{CHECKOUT}"
            answers = list(pool.map(
                lambda i: _buy(url, client_a.host, token, "LAST-10", f"buyer-{i}"), range(50)
            ))  # fmt: skip
        statuses = [status for status, _ in answers]
        assert statuses.count(201) == 10, statuses
        assert statuses.count(409) == 40, statuses
        assert {body["error"]["code"] for status, body in answers if status == 409} == {"CONFLICT"}
        assert all("LAST-10" in body["error"]["message"] for status, body in answers
                   if status == 409)  # fmt: skip
        quantity, allocated = committed(_in_a, tenant_a, _stock_of, "LAST-10")
        assert (quantity, allocated, quantity - allocated) == (10, 10, 0)
        counts = committed(_in_a, tenant_a, lambda: (
            Order.objects.filter(lines__sku="LAST-10").count(),
            Payment.objects.filter(order__lines__sku="LAST-10").count(),
        ))  # fmt: skip
        assert counts == (10, 10)
    finally:
        committed(_in_a, tenant_a, _clean, "LAST-10")


def test_five_concurrent_checkouts_under_one_key_are_one_order_and_one_charge(client_a, tenant_a):
    token = obtain_tokens(client_a)["access"]
    committed(_in_a, tenant_a, f.product, sku="ONCE-1", stock=5)
    try:
        with Gunicorn(workers=4) as web, ThreadPoolExecutor(5) as pool:
            url = f"{web.url}{CHECKOUT}"
            answers = list(pool.map(
                lambda _: _buy(url, client_a.host, token, "ONCE-1", "one-key"), range(5)
            ))  # fmt: skip
        assert [status for status, _ in answers] == [201] * 5, answers
        assert len({body["data"]["id"] for _, body in answers}) == 1
        counts = committed(_in_a, tenant_a, lambda: (
            Order.objects.filter(lines__sku="ONCE-1").count(),
            Payment.objects.filter(order__lines__sku="ONCE-1").count(),
            Allocation.objects.filter(line__sku="ONCE-1").count(),
            _stock_of("ONCE-1"),
        ))  # fmt: skip
        assert counts == (1, 1, 1, (5, 1))
    finally:
        committed(_in_a, tenant_a, _clean, "ONCE-1")


def test_variants_left_behind_are_none(tenant_a):
    """The cleanup of the tests above leaves no product of theirs."""
    with schema_context(tenant_a.schema_name):
        assert not ProductVariant.objects.filter(sku__in=["LAST-10", "ONCE-1"]).exists()
