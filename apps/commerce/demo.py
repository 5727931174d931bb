"""Demo seeder (DESIGN.md §10): abc-corp sells routers, cables and accessories: a few dozen
products with stock in `main`, and paid orders for jane. Idempotent: it seeds once (the first
product's SKU is the marker), so a second run adds nothing."""

import random
from decimal import Decimal

from django.db import transaction

from apps.commerce.constants import APP_KEY, MAIN_WAREHOUSE, STANDARD_SHIPPING, MovementKind
from apps.commerce.models import ProductVariant
from apps.commerce.services import catalog, checkout, inventory, orders
from apps.commerce.services.setup import commerce_defaults_ensure
from apps.identity.models import User

CATEGORIES = (("Network", ""), ("Routers", "Network"), ("Switches", "Network"),
              ("Cables", ""), ("Accessories", ""))  # fmt: skip
FAMILIES = (
    # category, name, SKU stem, base price, variants (name, attributes)
    ("Routers", "Wi-Fi 6 Router AX{n}", "RTR-AX{n}", "89.00", ()),
    ("Routers", "Mesh Node M{n}", "MESH-M{n}", "119.00", ()),
    ("Switches", "Gigabit Switch {n}-port", "SW-{n}P", "39.00", ()),
    ("Cables", "Cat6 Patch Cable series {n}", "CAT6-{n}",
     "4.50", (("1 m", {"length": "1 m"}), ("3 m", {"length": "3 m"}))),
    ("Accessories", "Power Adapter type {n}", "PWR-{n}", "14.90", ()),
)  # fmt: skip
PER_FAMILY = 7  # 35 products, 42 SKUs


def commerce_demo_ensure(*, tenant, demo, password: str = "", **_) -> None:
    if APP_KEY not in demo.apps or ProductVariant.objects.filter(sku="RTR-AX1").exists():
        return
    with transaction.atomic():
        _seed(demo)


def _seed(demo) -> None:
    commerce_defaults_ensure()
    rng = random.Random(f"dotmac-commerce-{demo.slug}")
    categories = {}
    for name, parent in CATEGORIES:
        categories[name] = catalog.category_create(
            name=name, parent=categories.get(parent), actor="demo"
        )
    skus = []
    for category, name, stem, price, variants in FAMILIES:
        for n in range(1, PER_FAMILY + 1):
            fields = {"name": name.format(n=n), "category": categories[category],
                      "price": Decimal(price) + n, "status": "published",
                      "actor": "demo"}  # fmt: skip
            if variants:
                listed = [{"sku": f"{stem.format(n=n)}-{label.split()[0]}M", "name": label,
                           "attributes": attributes} for label, attributes in variants]  # fmt: skip
                catalog.product_create(variants=listed, **fields)
                skus += [v["sku"] for v in listed]
            else:
                catalog.product_create(sku=stem.format(n=n), **fields)
                skus.append(stem.format(n=n))
    for sku in skus:
        inventory.stock_adjust(
            sku=sku, warehouse=MAIN_WAREHOUSE, quantity=rng.randint(3, 80),
            kind=MovementKind.RECEIPT, note="Opening stock", actor="demo",
        )  # fmt: skip
    jane = User.objects.filter(username="jane").first()
    if jane is None:
        return
    for index in range(6):
        lines = [{"sku": sku, "quantity": rng.randint(1, 2)} for sku in rng.sample(skus, 2)]
        order, _ = checkout.checkout(
            customer=jane, lines=lines, shipping_method=STANDARD_SHIPPING,
            card_number="4242 4242 4242 4242", idempotency_key=f"demo-{index}", actor=jane,
        )  # fmt: skip
        if index < 3:
            orders.order_fulfil(order=order, actor="demo")
            orders.order_ship(order=order, actor="demo")
        if index == 0:
            orders.order_deliver(order=order, actor="demo")
