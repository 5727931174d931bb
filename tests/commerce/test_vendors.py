"""The marketplace: an order of several vendors splits into per-vendor fulfilments with their
own status; a vendor's commission accrues on paid lines only and is reversed on refunds;
payout batches pay what is owed (CSV); a vendor sees only their own products, stock, lines,
fulfilments and ledger (404 for the others'), on the API and the pages; the plan's feature."""

import csv
import io
from decimal import Decimal

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from apps.commerce.constants import STANDARD_SHIPPING
from apps.commerce.models import (
    CommissionEntry,
    Fulfilment,
    Order,
    OrderLine,
    Payout,
    PayoutBatch,
    Product,
)
from apps.commerce.services import checkout, orders, vendors
from apps.commerce.services.fulfilments import fulfilment_fulfil, fulfilment_ship
from apps.core.exceptions import ConflictError
from apps.identity.models import User
from tests.commerce import factories as f
from tests.commerce.test_api_vendor_resources import vendor_api
from tests.conftest import PASSWORD, TENANTS, HostClient, host_of

pytestmark = pytest.mark.django_db
API = "/api/v1/commerce/vendor"


def two_vendor_order(alpha, beta, *, shop_line: bool = True):
    """3 units of alpha's product at 100.00, 1 of beta's at 40.00, 1 of the shop's at 10.00."""
    a = f.variant_of(f.product(vendor=alpha, price="100.00", stock=10)).sku
    b = f.variant_of(f.product(vendor=beta, price="40.00", stock=10)).sku
    lines = [{"sku": a, "quantity": 3}, {"sku": b, "quantity": 1}]
    if shop_line:
        lines.append({"sku": f.variant_of(f.product(price="10.00", stock=10)).sku, "quantity": 1})
    order, _ = checkout.checkout(
        customer=User.objects.get(username="owner"), lines=lines,
        shipping_method=STANDARD_SHIPPING, card_number=f.CARD, idempotency_key=f"k-{f.n()}",
    )  # fmt: skip
    return Order.objects.get(pk=order.pk)


@pytest.fixture
def sellers(vendor_portal_on, in_tenant_a):
    """alpha (10 % commission) and beta (25 %), in tenant A's schema."""
    return f.vendor(username="alpha", rate="10.00"), f.vendor(username="beta", rate="25.00")


def test_an_order_of_two_vendors_is_split_into_fulfilments_each_with_its_status(sellers):
    alpha, beta = sellers
    order = two_vendor_order(alpha, beta)

    parts = {part.vendor_id: part for part in order.fulfilments.prefetch_related("lines")}
    assert set(parts) == {alpha.pk, beta.pk, None}
    assert [line.sku for line in parts[alpha.pk].lines.all()] == [
        order.lines.get(fulfilment=parts[alpha.pk]).sku
    ]

    fulfilment_fulfil(fulfilment=parts[alpha.pk], actor=alpha.user)
    order.refresh_from_db()
    assert order.status == "partially_fulfilled"
    statuses = dict(order.fulfilments.values_list("vendor_id", "status"))
    assert statuses == {alpha.pk: "fulfilled", beta.pk: "pending", None: "pending"}

    fulfilment_ship(fulfilment=parts[alpha.pk], tracking="TRK-1", actor=alpha.user)
    fulfilment_fulfil(fulfilment=parts[beta.pk], actor=beta.user)
    fulfilment_fulfil(fulfilment=parts[None], actor="staff")
    order.refresh_from_db()
    assert order.status == "fulfilled"  # beta and the shop have not shipped yet
    fulfilment_ship(fulfilment=parts[beta.pk], actor=beta.user)
    fulfilment_ship(fulfilment=parts[None], actor="staff")
    order.refresh_from_db()
    assert order.status == "shipped"
    assert set(order.fulfilments.values_list("status", flat=True)) == {"shipped"}
    assert Fulfilment.objects.get(pk=parts[alpha.pk].pk).tracking == "TRK-1"


def test_a_fulfilment_cannot_ship_before_it_is_fulfilled_nor_be_fulfilled_twice(sellers):
    alpha, beta = sellers
    part = two_vendor_order(alpha, beta).fulfilments.get(vendor=alpha)

    with pytest.raises(ConflictError):
        fulfilment_ship(fulfilment=part)
    fulfilment_fulfil(fulfilment=part)
    with pytest.raises(ConflictError):
        fulfilment_fulfil(fulfilment=part)
    assert OrderLine.objects.get(fulfilment=part).quantity_fulfilled == 3


def test_the_back_office_working_the_whole_order_moves_every_fulfilment(sellers):
    alpha, beta = sellers
    order = two_vendor_order(alpha, beta)

    orders.order_fulfil(order=order)
    assert set(order.fulfilments.values_list("status", flat=True)) == {"fulfilled"}
    orders.order_ship(order=order, tracking="ALL-1")
    assert set(order.fulfilments.values_list("status", "tracking")) == {("shipped", "ALL-1")}


def test_commission_accrues_on_paid_lines_only_once_per_line(sellers):
    alpha, beta = sellers
    order = two_vendor_order(alpha, beta)

    entries = {e.vendor_id: e for e in CommissionEntry.objects.filter(line__order=order)}
    assert set(entries) == {alpha.pk, beta.pk}  # the shop's own line earns no vendor anything
    assert (entries[alpha.pk].sales, entries[alpha.pk].commission,
            entries[alpha.pk].earnings) == (Decimal("300.00"), Decimal("30.00"),
                                            Decimal("270.00"))  # fmt: skip
    assert (entries[beta.pk].commission, entries[beta.pk].earnings) == (
        Decimal("10.00"), Decimal("30.00"))  # fmt: skip
    assert vendors.commissions_accrue(order) == []  # again: nothing more
    assert CommissionEntry.objects.filter(line__order=order).count() == 2


def test_an_order_not_paid_accrues_nothing(sellers):
    alpha, _ = sellers
    sku = f.variant_of(f.product(vendor=alpha, price="100.00", stock=10)).sku
    with pytest.raises(Exception, match="declined"):
        checkout.checkout(
            customer=User.objects.get(username="owner"), lines=[{"sku": sku, "quantity": 1}],
            shipping_method=STANDARD_SHIPPING, card_number=f.DECLINED, idempotency_key="dec-1",
        )  # fmt: skip
    assert not CommissionEntry.objects.exists()

    # an order still waiting for its payment (made as checkout makes it, before the charge)
    pending = two_vendor_order(alpha, f.vendor(username="gamma"), shop_line=False)
    CommissionEntry.objects.filter(line__order=pending).delete()
    Order.objects.filter(pk=pending.pk).update(status="pending_payment")
    pending.refresh_from_db()
    assert not CommissionEntry.objects.filter(line__order=pending).exists()
    orders.order_transition(order=pending, to="paid")
    assert CommissionEntry.objects.filter(line__order=pending, kind="accrual").count() == 2


def test_a_return_reverses_the_commission_of_the_units_returned_only(sellers):
    alpha, beta = sellers
    order = two_vendor_order(alpha, beta)
    orders.order_fulfil(order=order)
    line = order.lines.get(fulfilment__vendor=alpha)

    orders.order_return(order=order, lines=[{"line": line.pk, "quantity": 1}], warehouse="main")

    reversal = CommissionEntry.objects.get(kind="reversal")
    assert reversal.vendor == alpha
    assert (reversal.sales, reversal.commission, reversal.earnings) == (
        Decimal("-100.00"), Decimal("-10.00"), Decimal("-90.00"))  # fmt: skip
    assert vendors.vendor_balance(alpha) == Decimal("180.00")
    assert vendors.vendor_balance(beta) == Decimal("30.00")  # untouched


def test_a_refund_without_return_reverses_pro_rata_and_a_cancellation_all(sellers):
    alpha, beta = sellers
    order = two_vendor_order(alpha, beta, shop_line=False)  # 340 net, 68 tax, 4.90 shipping
    orders.order_refund(order=order, amount=order.total / 2)
    assert vendors.vendor_balance(alpha) == Decimal("135.00")
    assert vendors.vendor_balance(beta) == Decimal("15.00")

    other = two_vendor_order(alpha, beta, shop_line=False)
    orders.order_cancel(order=other)
    reversed_ = CommissionEntry.objects.filter(line__order=other)
    assert sum(e.earnings for e in reversed_) == Decimal("0.00")
    assert vendors.vendor_balance(alpha) == Decimal("135.00")


def test_a_payout_batch_pays_what_is_owed_once_and_exports_csv(sellers):
    alpha, beta = sellers
    two_vendor_order(alpha, beta)
    f.vendor(username="idle")  # owed nothing: not in the batch

    batch = vendors.payout_batch_create(actor="test")

    paid = dict(batch.payouts.values_list("vendor__code", "amount"))
    assert paid == {"alpha": Decimal("270.00"), "beta": Decimal("30.00")}
    assert batch.total == Decimal("300.00")
    assert vendors.vendor_balance(alpha) == 0
    assert not CommissionEntry.objects.filter(payout__isnull=True).exists()
    with pytest.raises(ConflictError):
        vendors.payout_batch_create(actor="test")  # nothing owed any more
    assert PayoutBatch.objects.count() == 1

    rows = list(csv.DictReader(io.StringIO(vendors.payout_batch_csv(batch, "USD"))))
    assert [(r["vendor_code"], r["amount"], r["entries"]) for r in rows] == [
        ("alpha", "270.00", "1"), ("beta", "30.00", "1")]  # fmt: skip
    assert rows[0]["email"] == "alpha@example.com"


def test_a_negative_balance_waits_for_the_next_batch(sellers):
    alpha, beta = sellers
    order = two_vendor_order(alpha, beta, shop_line=False)
    vendors.payout_batch_create(actor="test")
    orders.order_fulfil(order=order)
    line = order.lines.get(fulfilment__vendor=beta)
    orders.order_return(order=order, lines=[{"line": line.pk, "quantity": 1}], warehouse="main")

    assert vendors.vendor_balance(beta) == Decimal("-30.00")
    with pytest.raises(ConflictError):
        vendors.payout_batch_create(actor="test")
    assert Payout.objects.filter(vendor=beta).count() == 1


# --- the API: a vendor's own rows ------------------------------------------------------------


@pytest.fixture
def market(tenant_a, vendor_portal_on):
    """alpha and beta selling on tenant A, an order with lines of both."""
    with schema_context(tenant_a.schema_name):
        alpha, beta = f.vendor(username="alpha"), f.vendor(username="beta")
        order = two_vendor_order(alpha, beta)
        return {
            "order": order.pk,
            "alpha_line": order.lines.get(fulfilment__vendor=alpha).pk,
            "beta_line": order.lines.get(fulfilment__vendor=beta).pk,
            "alpha_part": order.fulfilments.get(vendor=alpha).pk,
            "beta_part": order.fulfilments.get(vendor=beta).pk,
            "beta_product": Product.objects.get(vendor=beta).pk,
            "beta_sku": Product.objects.get(vendor=beta).variants.get().sku,
            "alpha_sku": Product.objects.get(vendor=alpha).variants.get().sku,
        }


def test_a_vendor_sees_only_their_own_lines_products_and_ledger(market):
    alpha = vendor_api(TENANTS["a"], "alpha")

    lines = alpha.get(f"{API}/order-lines/").json()["data"]
    assert [int(row["id"]) for row in lines] == [market["alpha_line"]]
    products = alpha.get(f"{API}/products/").json()["data"]
    assert [row["attributes"]["sku"] for row in products] == [market["alpha_sku"]]
    ledger = alpha.get(f"{API}/ledger/").json()["data"]
    assert [row["attributes"]["earnings"] for row in ledger] == ["270.00"]
    parts = alpha.get(f"{API}/fulfilments/").json()["data"]
    assert [int(row["id"]) for row in parts] == [market["alpha_part"]]


def test_another_vendors_rows_are_404s_and_stay_untouched(market, tenant_a):
    alpha = vendor_api(TENANTS["a"], "alpha")

    assert alpha.get(f"{API}/order-lines/{market['beta_line']}/").status_code == 404
    assert alpha.get(f"{API}/fulfilments/{market['beta_part']}/").status_code == 404
    assert alpha.post_json(f"{API}/fulfilments/{market['beta_part']}/fulfil/").status_code == 404
    assert alpha.patch(f"{API}/products/{market['beta_product']}/", {"price": "1.00"},
                       content_type="application/json").status_code == 404  # fmt: skip
    assert alpha.delete(f"{API}/products/{market['beta_product']}/").status_code == 404
    adjusted = alpha.post_json(
        f"{API}/stock/adjust/", {"sku": market["beta_sku"], "warehouse": "main", "quantity": 5}
    )
    assert adjusted.status_code == 404
    with schema_context(tenant_a.schema_name):
        product = Product.objects.get(pk=market["beta_product"])
        assert product.price == Decimal("40.00")
        assert product.variants.get().stocks.get().quantity == 10
        assert Fulfilment.objects.get(pk=market["beta_part"]).status == "pending"


def test_a_vendor_fulfils_and_ships_their_part_and_adjusts_their_stock(market, tenant_a):
    alpha = vendor_api(TENANTS["a"], "alpha")

    fulfilled = alpha.post_json(f"{API}/fulfilments/{market['alpha_part']}/fulfil/")
    assert fulfilled.status_code == 200, fulfilled.content
    assert fulfilled.json()["data"]["attributes"]["status"] == "fulfilled"
    shipped = alpha.post_json(f"{API}/fulfilments/{market['alpha_part']}/ship/",
                              {"tracking": "T-9"})  # fmt: skip
    assert shipped.json()["data"]["attributes"]["status"] == "shipped"
    again = alpha.post_json(f"{API}/fulfilments/{market['alpha_part']}/ship/")
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "CONFLICT"
    adjusted = alpha.post_json(
        f"{API}/stock/adjust/", {"sku": market["alpha_sku"], "warehouse": "main", "quantity": 5}
    )
    assert adjusted.status_code == 200, adjusted.content
    assert adjusted.json()["data"]["attributes"]["quantity"] == 12  # 10 + 5 - 3 shipped
    with schema_context(tenant_a.schema_name):
        assert Order.objects.get(pk=market["order"]).status == "partially_fulfilled"


def test_a_product_a_vendor_creates_is_theirs_whatever_the_body_says(market, tenant_a):
    alpha = vendor_api(TENANTS["a"], "alpha")
    with schema_context(tenant_a.schema_name):
        beta_id = vendors.vendor_of(User.objects.get(username="beta")).pk

    made = alpha.post_json(f"{API}/products/", {"name": "Alpha cable", "sku": "ALPHA-CBL",
                                                "price": "5.00", "vendor": beta_id})  # fmt: skip

    assert made.status_code == 201, made.content
    with schema_context(tenant_a.schema_name):
        assert Product.objects.get(variants__sku="ALPHA-CBL").vendor.code == "alpha"


def test_a_user_with_the_vendor_role_but_no_vendor_sees_nothing(market, tenant_a):
    from apps.identity import services as identity

    with schema_context(tenant_a.schema_name):
        user = identity.user_create(username="not-a-vendor", password=PASSWORD)
        identity.role_grant(user=user, role=vendors.vendor_role())
    client = vendor_api(TENANTS["a"], "not-a-vendor")

    assert client.get(f"{API}/order-lines/").json()["data"] == []
    assert client.get(f"{API}/order-lines/{market['alpha_line']}/").status_code == 404
    with schema_context(tenant_a.schema_name):  # the session lives in the tenant's schema
        page = HostClient(host_of(TENANTS["a"]))
        page.force_login(user)
    assert page.get("/vendor/").status_code == 403


def test_without_the_plan_feature_the_vendor_portal_is_refused(tenant_a, api_a):
    response = api_a.get("/api/v1/commerce/vendors/")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "FEATURE_NOT_IN_PLAN"
    assert api_a.get(f"{API}/ledger/").json()["error"]["code"] == "FEATURE_NOT_IN_PLAN"


def test_staff_create_a_payout_batch_and_download_its_csv(market, api_a):
    made = api_a.post_json("/api/v1/commerce/payouts/", {"until": "2999-01-01"})
    assert made.status_code == 400  # a day to come

    made = api_a.post_json("/api/v1/commerce/payouts/",
                           {"until": timezone.localdate().isoformat()})  # fmt: skip
    assert made.status_code == 201, made.content
    batch = made.json()["data"]
    assert batch["attributes"]["total"] == "306.00"  # 270.00 to alpha, 36.00 to beta (10 %)
    again = api_a.post_json("/api/v1/commerce/payouts/",
                            {"until": timezone.localdate().isoformat()})  # fmt: skip
    assert again.json()["error"]["code"] == "CONFLICT"

    exported = api_a.get(f"/api/v1/commerce/payouts/{batch['id']}/csv/")
    assert exported.status_code == 200
    assert exported["Content-Type"].startswith("text/csv")
    body = exported.content.decode()
    assert "alpha,Vendor" in body
    assert "270.00" in body
    assert "36.00" in body
    alpha = vendor_api(TENANTS["a"], "alpha")
    assert alpha.get(f"/api/v1/commerce/payouts/{batch['id']}/csv/").status_code == 403
    assert [p["attributes"]["amount"] for p in alpha.get(f"{API}/payouts/").json()["data"]] == [
        "270.00"
    ]


# --- pages -----------------------------------------------------------------------------------


def signed_in(username: str) -> HostClient:
    client = HostClient(host_of(TENANTS["a"]))
    assert client.post("/login/", {"username": username, "password": PASSWORD}).status_code == 302
    return client


def test_the_vendor_pages_show_the_vendors_own_rows(market):
    alpha = signed_in("alpha")

    for path in ("/vendor/", "/vendor/products/", "/vendor/orders/", "/vendor/ledger/"):
        response = alpha.get(path)
        assert response.status_code == 200, path
        html = response.content.decode()
        assert market["beta_sku"] not in html, path
    assert market["alpha_sku"] in alpha.get("/vendor/products/").content.decode()
    assert "270.00" in alpha.get("/vendor/ledger/").content.decode()


def test_a_vendor_page_action_on_another_vendors_fulfilment_is_a_404(market, tenant_a):
    alpha = signed_in("alpha")

    assert alpha.post(f"/vendor/orders/{market['beta_part']}/fulfil/").status_code == 404
    done = alpha.post(f"/vendor/orders/{market['alpha_part']}/fulfil/")
    assert done.status_code == 302
    with schema_context(tenant_a.schema_name):
        assert Fulfilment.objects.get(pk=market["beta_part"]).status == "pending"
        assert Fulfilment.objects.get(pk=market["alpha_part"]).status == "fulfilled"


def test_vendor_pages_refuse_anonymous_visitors_other_roles_and_other_tenants(market, client_b):
    anonymous = HostClient(host_of(TENANTS["a"]))
    assert anonymous.get("/vendor/").status_code == 302
    assert anonymous.get("/commerce/vendors/").status_code == 302
    alpha = signed_in("alpha")
    assert alpha.get("/commerce/vendors/").status_code == 403  # not the back office
    assert client_b.get("/vendor/").status_code in (302, 403)  # no E-commerce there


def test_the_back_office_lists_vendors_and_pays_them_out(market, tenant_a):
    staff = signed_in("owner")

    page = staff.get("/commerce/vendors/")
    assert page.status_code == 200
    assert "alpha" in page.content.decode()
    assert "270.00" in page.content.decode()
    assert staff.post("/commerce/vendors/payouts/").status_code == 302
    page = staff.get("/commerce/vendors/").content.decode()
    with schema_context(tenant_a.schema_name):
        batch = PayoutBatch.objects.get()
    assert batch.reference in page
    exported = staff.get(f"/commerce/vendors/payouts/{batch.pk}.csv")
    assert exported.status_code == 200
    assert exported.content.decode().splitlines()[0].startswith("batch,vendor_code")
    assert staff.get(f"/commerce/vendors/payouts/{batch.pk + 1000}.csv").status_code == 404
