"""Demo seeder (DESIGN.md §10, issue 13): abc-corp sells routers, switches, cables,
accessories and ISP plan upgrades (about 60 products), two of its vendors sell their own
(RouterWorks: mesh nodes; CableCo: the Cat6 cables, at 12 % and 8 % commission), and a year of
orders fills the back office's charts, the vendors' ledgers and a paid-out batch. Jane has
orders of her own (through the real checkout); Mike (Sales Rep) works the back office.

Fast: the year's history is written in bulk (a few INSERTs per table), its stock movements
included, so that stock still recounts from the ledger; only Jane's orders go through the
checkout. Idempotent: it seeds once (the first product's SKU is the marker).
"""

import random
from collections import defaultdict
from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from apps.commerce.constants import (
    APP_KEY,
    MAIN_WAREHOUSE,
    STANDARD_SHIPPING,
    FulfilmentStatus,
    LedgerKind,
    MovementKind,
    OrderStatus,
    PaymentStatus,
)
from apps.commerce.models import (
    CommissionEntry,
    Fulfilment,
    Order,
    OrderEvent,
    OrderLine,
    Payment,
    ProductVariant,
    ShippingMethod,
    Stock,
    StockMovement,
    Warehouse,
)
from apps.commerce.services import catalog, checkout, isp_plans, orders, vendors
from apps.commerce.services.setup import commerce_defaults_ensure
from apps.core.kit import organisation
from apps.core.money import ZERO, money
from apps.identity import services as identity
from apps.identity.models import User

CATEGORIES = (("Network", ""), ("Routers", "Network"), ("Switches", "Network"),
              ("Cables", ""), ("Accessories", ""), ("Plan upgrades", ""))  # fmt: skip
#: category, name, SKU stem, base price, count, variants, vendor code (None: the shop's own)
FAMILIES = (
    ("Routers", "Wi-Fi 6 Router AX{n}", "RTR-AX{n}", "89.00", 8, (), None),
    ("Routers", "Mesh Node M{n}", "MESH-M{n}", "119.00", 7, (), "routerworks"),
    ("Switches", "Gigabit Switch {n}-port", "SW-{n}P", "39.00", 7, (), None),
    ("Cables", "Cat6 Patch Cable series {n}", "CAT6-{n}", "4.50", 8,
     (("1 m", {"length": "1 m"}), ("3 m", {"length": "3 m"})), "cableco"),
    ("Cables", "Fibre Patch Lead LC-{n}", "FIB-LC{n}", "9.90", 6, (), "cableco"),
    ("Accessories", "Power Adapter type {n}", "PWR-{n}", "14.90", 8, (), None),
    ("Accessories", "Wall Mount kit {n}", "MNT-{n}", "7.50", 6, (), None),
)  # fmt: skip
#: Upgrades that order an ISP plan for the buyer's account (where the tenant has the ISP app).
UPGRADE_PLANS = {"UPG-300": "fiber-300", "UPG-1G": "fiber-1000"}
PLAN_UPGRADES = (
    ("Speed boost to 300 Mbit/s", "UPG-300", "10.00"),
    ("Speed boost to 500 Mbit/s", "UPG-500", "18.00"),
    ("Speed boost to 1 Gbit/s", "UPG-1G", "30.00"),
    ("Static IPv4 address", "UPG-STATIC-IP", "5.00"),
    ("Unlimited data add-on", "UPG-UNLTD", "12.00"),
    ("Priority support add-on", "UPG-PRIO", "8.00"),
    ("Wi-Fi extender rental", "UPG-EXT", "4.00"),
    ("Premium installation", "UPG-INSTALL", "49.00"),
)
VENDORS = (  # username, first name, last name, vendor name, commission %
    ("routerworks", "Rita", "Works", "RouterWorks", "12.00"),
    ("cableco", "Carl", "Cable", "CableCo", "8.00"),
)
HISTORY_DAYS = 365
HISTORY_ORDERS = 420
UPGRADE_STOCK = 9999  # services, not boxes: plenty to sell


def commerce_demo_ensure(*, tenant, demo, password: str = "", **_) -> None:
    if APP_KEY not in demo.apps or ProductVariant.objects.filter(sku="RTR-AX1").exists():
        return
    with transaction.atomic():
        _seed(demo, password)


def _seed(demo, password: str) -> None:
    commerce_defaults_ensure()
    rng = random.Random(f"dotmac-commerce-{demo.slug}")
    sellers = {}
    for username, first, last, name, rate in VENDORS:
        user = User.objects.filter(username=username).first() or identity.user_create(
            username=username, password=password or None, first_name=first, last_name=last,
            email=f"{username}@{demo.slug}.example.com",
        )  # fmt: skip
        sellers[username] = vendors.vendor_create(user=user, code=username, name=name,
                                                  commission_rate=rate, actor="demo")  # fmt: skip
    categories = {}
    for name, parent in CATEGORIES:
        categories[name] = catalog.category_create(
            name=name, parent=categories.get(parent), actor="demo"
        )
    stock_of: dict[str, int] = {}
    for category, name, stem, price, count, variants, seller in FAMILIES:
        for n in range(1, count + 1):
            fields = {"name": name.format(n=n), "category": categories[category],
                      "price": Decimal(price) + n, "status": "published",
                      "vendor": sellers.get(seller), "actor": "demo"}  # fmt: skip
            if variants:
                listed = [{"sku": f"{stem.format(n=n)}-{label.split()[0]}M", "name": label,
                           "attributes": attributes} for label, attributes in variants]  # fmt: skip
                catalog.product_create(variants=listed, **fields)
                stock_of.update({v["sku"]: rng.randint(3, 80) for v in listed})
            else:
                catalog.product_create(sku=stem.format(n=n), **fields)
                stock_of[stem.format(n=n)] = rng.randint(3, 80)
    plans = {plan["code"] for plan in isp_plans.plans_on_sale()}  # [] without the ISP app
    for name, sku, price in PLAN_UPGRADES:
        tied = UPGRADE_PLANS.get(sku, "")
        catalog.product_create(name=name, sku=sku, price=price, status="published",
                               isp_plan=tied if tied in plans else "",
                               category=categories["Plan upgrades"], actor="demo",
                               description="Ordered here, activated on your ISP service by "
                               "our staff.")  # fmt: skip
        stock_of[sku] = UPGRADE_STOCK
    sold = _history(rng, stock_of)
    _opening_stock(stock_of, sold)
    vendors.payout_batch_create(until=timezone.localdate() - timedelta(days=30), actor="demo")
    _janes_orders(rng, [sku for sku in stock_of if not sku.startswith("UPG-")])


def _history(rng: random.Random, stock_of: dict[str, int]) -> dict[str, int]:
    """A year of delivered (and some cancelled and refunded) orders of guests, in bulk: the
    orders, lines, fulfilments, payments, timelines, vendors' accruals and sale movements.
    Answers the units sold per SKU."""
    variants = list(ProductVariant.objects.select_related("product__tax_class", "product__vendor"))
    method = ShippingMethod.objects.get(code=STANDARD_SHIPPING)
    warehouse = Warehouse.objects.get(code=MAIN_WAREHOUSE)
    currency = organisation.currency()
    now = timezone.now()
    plan, sold = [], defaultdict(int)
    for index in range(HISTORY_ORDERS):
        # more orders lately (the shop is growing): the age in days leans young
        age = int(HISTORY_DAYS * rng.random() ** 1.6) + 1
        when = now - timedelta(days=age, minutes=rng.randint(0, 600))
        picks = rng.sample(variants, rng.choice((1, 1, 2, 3)))
        cancelled = rng.random() < 0.04
        plan.append((index, when, [(v, rng.randint(1, 3)) for v in picks], cancelled))
    made = Order.objects.bulk_create([
        Order(number=f"SO-H{index + 1:05d}", email=f"buyer{rng.randint(1, 180)}@example.com",
              status=OrderStatus.CANCELLED if cancelled else OrderStatus.DELIVERED,
              shipping_method=method, shipping_address="1 Demo Street, Springfield",
              currency=currency, idempotency_key=f"demo-history-{index}")
        for index, _, _, cancelled in plan
    ])  # fmt: skip
    lines, fulfilments, line_vendor = [], [], []
    for order, (_, when, picks, cancelled) in zip(made, plan, strict=True):
        order.created_at = when
        by_vendor, own = {}, []
        for variant, units in picks:
            product = variant.product
            unit = variant.effective_price
            total = money(unit * units)
            line = OrderLine(
                order=order, variant=variant, sku=variant.sku, name=product.name,
                quantity=units, quantity_fulfilled=0 if cancelled else units, unit_price=unit,
                tax_rate=product.tax_class.rate, total=total,
            )  # fmt: skip
            if product.vendor_id not in by_vendor:
                by_vendor[product.vendor_id] = Fulfilment(
                    order=order, vendor_id=product.vendor_id,
                    status=FulfilmentStatus.CANCELLED if cancelled else FulfilmentStatus.DELIVERED,
                )  # fmt: skip
                fulfilments.append(by_vendor[product.vendor_id])
            lines.append(line)
            own.append(line)
            line_vendor.append((line, by_vendor[product.vendor_id], product.vendor))
            if not cancelled:
                sold[variant.sku] += units
        order.subtotal = sum((line.total for line in own), ZERO)
        order.tax_total = sum((money(line.total * line.tax_rate / 100) for line in own), ZERO)
        order.shipping_total = method.price
        order.total = order.subtotal + order.tax_total + order.shipping_total
        if cancelled:
            order.refunded_total = order.total
    Order.objects.bulk_update(made, ["created_at", "subtotal", "tax_total", "shipping_total",
                                     "total", "refunded_total"])  # fmt: skip
    Fulfilment.objects.bulk_create(fulfilments)
    for line, fulfilment, _ in line_vendor:
        line.fulfilment = fulfilment
    OrderLine.objects.bulk_create(lines)
    Payment.objects.bulk_create([
        Payment(order=order, amount=order.total, currency=currency, gateway="sandbox",
                reference=f"demo-ch-{order.number}", card_last4="4242",
                status=PaymentStatus.REFUNDED if order.status == OrderStatus.CANCELLED
                else PaymentStatus.SUCCEEDED,
                refunded_amount=order.refunded_total)
        for order in made
    ])  # fmt: skip
    events = []
    for order in made:
        events.append(OrderEvent(order=order, kind="placed", actor="demo",
                                 message=f"Order {order.number} placed"))  # fmt: skip
        last = "cancelled" if order.status == OrderStatus.CANCELLED else "delivered"
        events.append(OrderEvent(order=order, kind=last, actor="demo",
                                 message=f"Order {last}"))  # fmt: skip
    OrderEvent.objects.bulk_create(events)
    OrderEvent.objects.filter(order__in=made).update(created_at=now)  # the timeline's own time
    entries = []
    for line, _, vendor in line_vendor:
        if vendor is None:
            continue
        commission = money(line.total * vendor.commission_rate / 100)
        entries.append(CommissionEntry(
            vendor=vendor, line=line, kind=LedgerKind.ACCRUAL, sales=line.total,
            rate=vendor.commission_rate, commission=commission, earnings=line.total - commission,
            note=f"{line.order.number}: {line.quantity} × {line.sku}",
        ))  # fmt: skip
        if line.order.status == OrderStatus.CANCELLED:
            entries.append(CommissionEntry(
                vendor=vendor, line=line, kind=LedgerKind.REVERSAL, sales=-line.total,
                rate=vendor.commission_rate, commission=-commission,
                earnings=-(line.total - commission), note=f"Cancellation of {line.order.number}",
            ))  # fmt: skip
    CommissionEntry.objects.bulk_create(entries)
    for entry in entries:
        entry.created_at = entry.line.order.created_at
    CommissionEntry.objects.bulk_update(entries, ["created_at"])
    movements = [
        StockMovement(variant=line.variant, warehouse=warehouse, kind=MovementKind.SALE,
                      quantity=-line.quantity, order=line.order, actor="demo",
                      note=f"Sale of {line.order.number}")
        for line in lines if line.order.status != OrderStatus.CANCELLED
    ]  # fmt: skip
    StockMovement.objects.bulk_create(movements)
    return sold


def _opening_stock(stock_of: dict[str, int], sold: dict[str, int]) -> None:
    """The stock left now, with a receipt of what came in (what was sold and what is left),
    in bulk: the ledger sums to what is on hand."""
    warehouse = Warehouse.objects.get(code=MAIN_WAREHOUSE)
    by_sku = {v.sku: v for v in ProductVariant.objects.filter(sku__in=list(stock_of))}
    Stock.objects.bulk_create([Stock(variant=by_sku[sku], warehouse=warehouse, quantity=left)
                               for sku, left in stock_of.items()])  # fmt: skip
    StockMovement.objects.bulk_create([
        StockMovement(variant=by_sku[sku], warehouse=warehouse, kind=MovementKind.RECEIPT,
                      quantity=left + sold.get(sku, 0), note="Opening stock", actor="demo")
        for sku, left in stock_of.items()
    ])  # fmt: skip
    StockMovement.objects.filter(note="Opening stock").update(
        created_at=timezone.now() - timedelta(days=HISTORY_DAYS + 1)
    )


def _janes_orders(rng: random.Random, skus: list[str]) -> None:
    """Jane's own orders, through the real checkout (one paid, some shipped, one delivered)."""
    jane = User.objects.filter(username="jane").first()
    if jane is None:
        return
    for index in range(6):
        lines = [{"sku": sku, "quantity": 1} for sku in rng.sample(skus, 2)]
        order, _ = checkout.checkout(
            customer=jane, lines=lines, shipping_method=STANDARD_SHIPPING,
            card_number="4242 4242 4242 4242", idempotency_key=f"demo-{index}", actor=jane,
            shipping_address="12 Elm Street, Springfield",
        )  # fmt: skip
        if index < 3:
            orders.order_fulfil(order=order, actor="demo")
            orders.order_ship(order=order, actor="demo")
        if index == 0:
            orders.order_deliver(order=order, actor="demo")
