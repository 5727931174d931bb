"""Every E-commerce API resource on the generic resource test: list, retrieve, create, update,
delete (where it has them), 401/403/405, licence, cross-tenant 404s, audit, query counts."""

from decimal import Decimal

import pytest

from apps.commerce.models import (
    Category,
    DiscountCode,
    Order,
    Product,
    ProductVariant,
    ShippingMethod,
    Stock,
    StockMovement,
    TaxClass,
    Warehouse,
)
from tests.commerce import factories as f
from tests.commerce.base import CommerceResourceTests

READ_ONLY = {"list", "retrieve"}


class TestCategories(CommerceResourceTests):
    path = "/api/v1/commerce/categories/"
    resource_type = "category"
    model = Category
    maker = staticmethod(f.category)
    create_data = {"name": "Routers", "slug": "routers"}
    update_data = {"name": "Wireless routers"}
    invalid_data = {"slug": "no name"}


class TestProducts(CommerceResourceTests):
    path = "/api/v1/commerce/products/"
    resource_type = "product"
    model = Product
    maker = staticmethod(f.product)
    create_data = {"name": "Router AX1", "sku": "RTR-NEW-1", "price": "89.00",
                   "status": "published"}  # fmt: skip
    update_data = {"price": "79.50", "status": "draft"}
    invalid_data = {"name": "No SKU", "price": "-1.00"}


class TestVariants(CommerceResourceTests):
    path = "/api/v1/commerce/variants/"
    resource_type = "variant"
    model = ProductVariant
    update_data = {"name": "Black", "attributes": {"colour": "black"}, "barcode": "4006381333931"}
    invalid_data = {"sku": "NO-PRODUCT"}

    def make(self, **fields):
        return f.variant_of(f.product())

    def create_data(self):
        return {"product": f.product().pk, "sku": "VAR-NEW-1", "name": "White",
                "attributes": {"colour": "white"}, "price": "12.00"}  # fmt: skip


class TestTaxClasses(CommerceResourceTests):
    path = "/api/v1/commerce/tax-classes/"
    resource_type = "tax_class"
    model = TaxClass
    maker = staticmethod(f.tax_class)
    create_data = {"code": "luxury", "name": "Luxury", "rate": "25.00"}
    update_data = {"rate": "26.50"}
    invalid_data = {"code": "bad", "name": "Bad", "rate": "101.00"}


class TestWarehouses(CommerceResourceTests):
    path = "/api/v1/commerce/warehouses/"
    resource_type = "warehouse"
    model = Warehouse
    maker = staticmethod(f.warehouse)
    create_data = {"code": "north", "name": "North depot"}
    update_data = {"is_active": False}
    invalid_data = {"code": "not a slug!", "name": "X"}


class TestShippingMethods(CommerceResourceTests):
    path = "/api/v1/commerce/shipping-methods/"
    resource_type = "shipping_method"
    model = ShippingMethod
    maker = staticmethod(f.shipping_method)
    create_data = {"code": "express", "name": "Express", "price": "9.90"}
    update_data = {"price": "11.00"}
    invalid_data = {"code": "neg", "name": "Negative", "price": "-1.00"}


class TestStock(CommerceResourceTests):
    path = "/api/v1/commerce/stock/"
    resource_type = "stock"
    model = Stock
    maker = staticmethod(f.stock)
    operations = READ_ONLY
    update_data = {"quantity": 1000}


class TestMovements(CommerceResourceTests):
    path = "/api/v1/commerce/movements/"
    resource_type = "movement"
    model = StockMovement
    maker = staticmethod(f.movement)
    operations = READ_ONLY
    update_data = {"quantity": 1000}


class TestOrders(CommerceResourceTests):
    path = "/api/v1/commerce/orders/"
    resource_type = "order"
    model = Order
    maker = staticmethod(f.order)
    operations = READ_ONLY
    update_data = {"status": "delivered", "total": "0.00"}


def test_decimal_prices_are_strings(api_a, in_tenant_a):
    made = f.product(price="12.30")
    data = api_a.get(f"/api/v1/commerce/products/{made.pk}/").json()["data"]["attributes"]
    assert data["price"] == "12.30"
    assert Decimal(data["price"]) == Decimal("12.30")


class TestDiscountCodes(CommerceResourceTests):
    path = "/api/v1/commerce/discount-codes/"
    resource_type = "discount_code"
    model = DiscountCode
    maker = staticmethod(f.discount)
    create_data = {"code": "WELCOME5", "kind": "fixed", "value": "5.00", "usage_limit": 100}
    update_data = {"value": "7.50", "is_active": False}
    invalid_data = {"code": "PCT", "kind": "percentage", "value": "150.00"}

    @pytest.fixture(autouse=True)
    def _discounts(self, discounts_on):
        """The feature on both tenants (the cross-tenant checks need it on the other one)."""
