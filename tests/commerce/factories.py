"""Rows of the shop, made through its services (in the current schema)."""

import itertools

from apps.commerce.constants import MAIN_WAREHOUSE, STANDARD_SHIPPING, MovementKind
from apps.commerce.models import Category, ShippingMethod, TaxClass, Warehouse
from apps.commerce.services import catalog, checkout, inventory
from apps.identity.models import User

_numbers = itertools.count(1)

CARD = "4242 4242 4242 4242"
DECLINED = "4000 0000 0000 0002"


def n() -> int:
    return next(_numbers)


def product(*, sku: str | None = None, stock: int = 0, price: str = "10.00", **fields):
    """A published product with one variant (and `stock` units in `main`)."""
    number = n()
    sku = sku or f"SKU-{number}"
    fields.setdefault("name", f"Product {number}")
    fields.setdefault("status", "published")
    made = catalog.product_create(sku=sku, price=price, **fields)
    if stock:
        inventory.stock_adjust(sku=sku, warehouse=MAIN_WAREHOUSE, quantity=stock,
                               kind=MovementKind.RECEIPT)  # fmt: skip
    return made


def variant_of(made):
    return made.variants.get()


def category(**fields) -> Category:
    number = n()
    fields.setdefault("name", f"Category {number}")
    return catalog.category_create(**fields)


def warehouse(**fields) -> Warehouse:
    number = n()
    return Warehouse.objects.create(code=f"wh-{number}", name=f"Warehouse {number}", **fields)


def tax_class(**fields) -> TaxClass:
    number = n()
    return TaxClass.objects.create(code=f"tax-{number}", name=f"Tax {number}", rate="7.00")


def shipping_method(**fields) -> ShippingMethod:
    number = n()
    return ShippingMethod.objects.create(code=f"ship-{number}", name=f"Ship {number}",
                                         price="3.00")  # fmt: skip


def stock(**_):
    made = product(stock=5)
    return variant_of(made).stocks.get()


def movement(**_):
    made = product(stock=5)
    return variant_of(made).movements.get()


def order(*, customer=None, quantity: int = 1, **_):
    """A paid order of one unit of a new product, bought by `customer` (default: the tenant's
    super admin, `owner`)."""
    customer = customer or User.objects.get(username="owner")
    made = product(stock=quantity + 2)
    placed, _ = checkout.checkout(
        customer=customer, lines=[{"sku": variant_of(made).sku, "quantity": quantity}],
        shipping_method=STANDARD_SHIPPING, card_number=CARD, idempotency_key=f"key-{n()}",
    )  # fmt: skip
    return placed


def discount(**fields):
    from apps.commerce.services import shop

    fields.setdefault("code", f"CODE-{n()}")
    fields.setdefault("kind", "percentage")
    fields.setdefault("value", "10.00")
    return shop.discount_create(**fields)


def cart(*, customer=None, sku: str | None = None, quantity: int = 1):
    """The open cart of `customer` (default `owner`), with `quantity` units of `sku` (default
    a new product with stock for it)."""
    from apps.commerce.services import carts

    customer = customer or User.objects.get(username="owner")
    made = carts.cart_of_customer(customer)
    sku = sku or variant_of(product(stock=quantity + 2)).sku
    return carts.cart_line_set(cart=made, sku=sku, quantity=quantity)


def vendor(*, username: str | None = None, rate: str = "10.00", **fields):
    """A vendor (a new tenant user with the Vendor role, password PASSWORD), or the one
    `username` is already."""
    from apps.commerce.models import Vendor
    from apps.commerce.services import vendors
    from apps.identity import services as identity
    from tests.conftest import PASSWORD

    number = n()
    username = username or f"vendor-{number}"
    found = Vendor.objects.filter(user__username=username).first()
    if found is not None:
        return found
    user = User.objects.filter(username=username).first() or identity.user_create(
        username=username, password=PASSWORD, email=f"{username}@example.com"
    )
    return vendors.vendor_create(user=user, code=fields.pop("code", username),
                                 name=fields.pop("name", f"Vendor {number}"),
                                 commission_rate=rate, **fields)  # fmt: skip


def vendor_order(*, vendor=None, customer=None, quantity: int = 2, price: str = "50.00"):
    """A paid order of `quantity` units of a new product of `vendor`."""
    vendor = vendor or globals()["vendor"]()
    made = product(stock=quantity + 2, price=price, vendor=vendor)
    customer = customer or User.objects.get(username="owner")
    placed, _ = checkout.checkout(
        customer=customer, lines=[{"sku": variant_of(made).sku, "quantity": quantity}],
        shipping_method=STANDARD_SHIPPING, card_number=CARD, idempotency_key=f"key-{n()}",
    )  # fmt: skip
    return placed
