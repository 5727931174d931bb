"""A reservation that expires frees the stock, over HTTP against gunicorn and the real stores:
a shopper's cart holds the last units (another buyer is refused, 409 naming the SKU); once the
hold runs out the other buyer gets them, and the beat's sweep task deletes the expired hold."""

import json
import urllib.error
import urllib.request
from datetime import timedelta

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from apps.commerce import tasks
from apps.commerce.models import Cart, Reservation
from apps.identity import services as identity
from apps.identity.models import Role, User
from tests.commerce import factories as f
from tests.commerce.test_concurrency import _clean
from tests.committed import committed
from tests.conftest import PASSWORD, obtain_tokens
from tests.servers import Gunicorn

pytestmark = [pytest.mark.django_db, pytest.mark.slow]
SKU = "HELD-2"
BUYER = "second-buyer"


def _in(tenant, fn, *args, **kwargs):
    with schema_context(tenant.schema_name):
        return fn(*args, **kwargs)


def _call(url: str, host: str, token: str, body: dict, key: str = "") -> tuple[int, dict]:
    headers = {"Host": host, "Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if key:
        headers["Idempotency-Key"] = key
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                     headers=headers)  # fmt: skip
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def _setup():
    f.product(sku=SKU, stock=2)
    buyer = identity.user_create(username=BUYER, password=PASSWORD, email="b@example.com")
    identity.role_grant(user=buyer, role=Role.objects.get(name="Customer"))


def _expire_holds():
    """Time passes: the holds' end is now behind us (what the clock would do in 15 minutes)."""
    return Reservation.objects.filter(stock__variant__sku=SKU).update(
        reserved_until=timezone.now() - timedelta(seconds=1)
    )


def _teardown():
    Cart.objects.filter(lines__variant__sku=SKU).delete()
    _clean(SKU)
    User.objects.filter(username=BUYER).delete()


def test_an_expired_reservation_frees_the_stock_over_gunicorn(client_a, tenant_a):
    holder = obtain_tokens(client_a)["access"]
    committed(_in, tenant_a, _setup)
    try:
        checkout = {"lines": [{"sku": SKU, "quantity": 2}], "shipping_method": "standard",
                    "card_number": f.CARD}  # fmt: skip
        with Gunicorn(workers=2) as web:
            # the buyer's token from gunicorn: signing in through the test's client would write
            # (and lock) their rows in the test's transaction, which the cleanup then waits on
            status, signed = _call(f"{web.url}/api/v1/auth/token/", client_a.host, "",
                                   {"username": BUYER, "password": PASSWORD})  # fmt: skip
            assert status == 200, signed
            buyer = signed["data"]["attributes"]["access"]
            status, cart = _call(f"{web.url}/api/v1/commerce/carts/", client_a.host, holder, {})
            assert status == 201, cart
            status, held = _call(f"{web.url}/api/v1/commerce/carts/{cart['data']['id']}/lines/",
                                 client_a.host, holder, {"sku": SKU, "quantity": 2})  # fmt: skip
            assert status == 200, held

            refused = _call(f"{web.url}/api/v1/commerce/checkout/", client_a.host, buyer,
                            checkout, key="while-held")  # fmt: skip
            assert refused[0] == 409, refused
            assert SKU in refused[1]["error"]["message"]

            assert committed(_in, tenant_a, _expire_holds) == 1
            bought = _call(f"{web.url}/api/v1/commerce/checkout/", client_a.host, buyer,
                           checkout, key="after-expiry")  # fmt: skip
            assert bought[0] == 201, bought
            assert bought[1]["data"]["attributes"]["status"] == "paid"

        # the beat's task deletes what has expired (it held nothing already)
        committed(_in, tenant_a, _expire_holds)
        swept = committed(_in, tenant_a, lambda: tasks.reservations_sweep.apply().get())
        assert swept == 1
        assert not committed(_in, tenant_a, lambda: Reservation.objects.filter(
            stock__variant__sku=SKU).exists())  # fmt: skip
    finally:
        committed(_in, tenant_a, _teardown)


def test_the_sweep_is_scheduled_and_fans_out_to_tenants_with_the_shop():
    from dotmac.celery import app

    entry = app.conf.beat_schedule["commerce-reservations-sweep"]
    assert entry["task"] == "commerce.reservations_sweep_fan_out"
    assert entry["schedule"] <= 60
