"""Stock over the API: a signed adjustment is one conditional write, refused below zero (409,
nothing written); transfers move both legs or neither; the ledger recounts stock; the
database itself refuses a negative or over-allocated row."""

import pytest
from django.db import IntegrityError, transaction
from django_tenants.utils import schema_context

from apps.commerce.models import Product, ProductVariant, Stock, StockMovement, Warehouse
from apps.commerce.services import inventory
from apps.core.models import AuditEntry
from apps.platform.licensing import services as licensing
from apps.platform.licensing.models import Subscription
from tests.commerce import factories as f

pytestmark = pytest.mark.django_db
ADJUST = "/api/v1/commerce/stock/adjust/"
TRANSFER = "/api/v1/commerce/stock/transfer/"
PRODUCTS = "/api/v1/commerce/products/"


def test_a_product_created_with_a_sku_gets_one_default_variant(api_a, tenant_a):
    response = api_a.post_json(PRODUCTS, {"name": "Cable", "sku": "CAB-1", "price": "4.50"})

    assert response.status_code == 201, response.content
    attributes = response.json()["data"]["attributes"]
    assert attributes["sku"] == "CAB-1"
    assert [v["sku"] for v in attributes["variants"]] == ["CAB-1"]
    assert attributes["status"] == "draft"


def test_a_product_with_variants_and_a_duplicate_sku_writes_nothing(api_a, tenant_a):
    with schema_context(tenant_a.schema_name):
        f.product(sku="TAKEN-1")
    body = {"name": "Shirt", "price": "20.00", "variants": [
        {"sku": "SHIRT-S", "attributes": {"size": "S"}},
        {"sku": "TAKEN-1", "attributes": {"size": "M"}},
    ]}  # fmt: skip

    response = api_a.post_json(PRODUCTS, body)

    assert response.status_code == 400, response.content
    assert response.json()["error"]["code"] == "VALIDATION_ERROR"
    with schema_context(tenant_a.schema_name):
        assert not ProductVariant.objects.filter(sku="SHIRT-S").exists()
        assert not Product.objects.filter(name="Shirt").exists()


def test_adjust_adds_and_removes_units_and_records_the_ledger(api_a, tenant_a):
    with schema_context(tenant_a.schema_name):
        f.product(sku="ADJ-1")

    added = api_a.post_json(ADJUST, {"sku": "ADJ-1", "warehouse": "main", "quantity": 12})
    removed = api_a.post_json(ADJUST, {"sku": "ADJ-1", "warehouse": "main", "quantity": -5})

    assert added.status_code == 200, added.content
    assert added.json()["data"]["attributes"]["quantity"] == 12
    assert removed.json()["data"]["attributes"]["quantity"] == 7
    assert removed.json()["data"]["attributes"]["available"] == 7
    with schema_context(tenant_a.schema_name):
        moves = StockMovement.objects.filter(variant__sku="ADJ-1").order_by("id")
        assert [(m.kind, m.quantity) for m in moves] == [("adjustment", 12), ("adjustment", -5)]
        assert AuditEntry.objects.filter(action="stock_adjustment").count() >= 2


def test_adjusting_below_zero_is_a_conflict_and_writes_nothing(api_a, tenant_a):
    with schema_context(tenant_a.schema_name):
        f.product(sku="LOW-1", stock=3)
        moves = StockMovement.objects.count()

    response = api_a.post_json(ADJUST, {"sku": "LOW-1", "warehouse": "main", "quantity": -4})

    assert response.status_code == 409, response.content
    error = response.json()["error"]
    assert error["code"] == "CONFLICT"
    assert "LOW-1" in error["message"]
    with schema_context(tenant_a.schema_name):
        assert Stock.objects.get(variant__sku="LOW-1").quantity == 3
        assert StockMovement.objects.count() == moves


def test_units_allocated_to_orders_cannot_be_adjusted_away(api_a, tenant_a):
    with schema_context(tenant_a.schema_name):
        order = f.order(quantity=2)  # 4 on hand, 2 allocated
        sku = order.lines.get().sku

    refused = api_a.post_json(ADJUST, {"sku": sku, "warehouse": "main", "quantity": -3})
    allowed = api_a.post_json(ADJUST, {"sku": sku, "warehouse": "main", "quantity": -2})

    assert refused.status_code == 409
    assert allowed.status_code == 200
    attributes = allowed.json()["data"]["attributes"]
    assert (attributes["quantity"], attributes["allocated"], attributes["available"]) == (2, 2, 0)


@pytest.mark.parametrize(
    ("body", "field"),
    [({"sku": "NOPE", "warehouse": "main", "quantity": 1}, "sku"),
     ({"sku": "ADJ-X", "warehouse": "nowhere", "quantity": 1}, "warehouse"),
     ({"sku": "ADJ-X", "warehouse": "main", "quantity": 0}, "quantity"),
     ({"sku": "ADJ-X", "warehouse": "main", "quantity": 10**9}, "quantity"),
     ({"sku": "ADJ-X", "warehouse": "main", "quantity": "ten"}, "quantity"),
     ({"sku": "ADJ-X", "warehouse": "main", "quantity": -1, "kind": "receipt"}, "quantity")],
)  # fmt: skip
def test_bad_adjustments_are_validation_errors_naming_the_field(api_a, tenant_a, body, field):
    with schema_context(tenant_a.schema_name):
        f.product(sku="ADJ-X")
        moves = StockMovement.objects.count()

    response = api_a.post_json(ADJUST, body)

    assert response.status_code == 400, response.content
    assert field in {d["field"] for d in response.json()["error"]["details"]}
    with schema_context(tenant_a.schema_name):
        assert StockMovement.objects.count() == moves


def test_a_transfer_moves_units_between_warehouses_or_nothing(api_a, tenant_a):
    with schema_context(tenant_a.schema_name):
        f.product(sku="TR-1", stock=5)
        Warehouse.objects.create(code="north", name="North")

    moved = api_a.post_json(TRANSFER, {"sku": "TR-1", "source": "main", "destination": "north",
                                       "quantity": 3})  # fmt: skip
    refused = api_a.post_json(TRANSFER, {"sku": "TR-1", "source": "main",
                                         "destination": "north", "quantity": 3})  # fmt: skip

    assert moved.status_code == 200, moved.content
    assert [row["attributes"]["quantity"] for row in moved.json()["data"]] == [2, 3]
    assert refused.status_code == 409
    with schema_context(tenant_a.schema_name):
        stock = dict(Stock.objects.filter(variant__sku="TR-1")
                     .values_list("warehouse__code", "quantity"))  # fmt: skip
        assert stock == {"main": 2, "north": 3}
        assert StockMovement.objects.filter(variant__sku="TR-1", kind="transfer").count() == 2


def test_stock_is_recounted_from_the_ledger(in_tenant_a):
    made = f.product(sku="RC-1", stock=9)
    Stock.objects.filter(variant__sku="RC-1").update(quantity=40)  # drifted

    fixed = inventory.stock_recount()

    assert fixed == 1
    assert Stock.objects.get(variant=f.variant_of(made)).quantity == 9


def test_the_database_refuses_negative_or_over_allocated_stock(in_tenant_a):
    stock = f.stock()
    with pytest.raises(IntegrityError), transaction.atomic():
        Stock.objects.filter(pk=stock.pk).update(quantity=-1)
    with pytest.raises(IntegrityError), transaction.atomic():
        Stock.objects.filter(pk=stock.pk).update(allocated=stock.quantity + 1)


def test_creating_past_the_product_limit_is_refused_and_writes_nothing(
    api_a, tenant_a, django_capture_on_commit_callbacks
):
    with schema_context(tenant_a.schema_name):
        used = Product.objects.count()
    with django_capture_on_commit_callbacks(execute=True):
        licensing.subscription_set_overrides(
            subscription=Subscription.objects.get(tenant=tenant_a, app__key="commerce"),
            limits={"commerce.max_products": used}, actor="test",
        )  # fmt: skip

    refused = api_a.post_json(PRODUCTS, {"name": "One too many", "sku": "MAX-1", "price": "1"})

    assert refused.status_code == 403, refused.content
    error = refused.json()["error"]
    assert error["code"] == "LIMIT_EXCEEDED"
    assert error["details"][0]["field"] == "commerce.max_products"
    with schema_context(tenant_a.schema_name):
        assert Product.objects.count() == used
        assert not ProductVariant.objects.filter(sku="MAX-1").exists()
