"""Checkout in one call: lines, shipping and a card → a paid order with its stock allocated.

Exactly once per idempotency key (Saleor #14926, #19220): the order row carries the key under a
unique constraint (customer, key) and is inserted first. A second request with the same key,
even at the same moment, blocks on that insert until the first commits, then fails it and
answers the first's order: one order, one allocation, one charge. If the first failed (too
little stock, a declined card) it wrote nothing, and the retry runs as a new checkout.

Too little stock of any line is a CONFLICT naming each short SKU, and nothing is written (the
charge is taken only once every line is allocated). The card is charged inside the
transaction, after allocation; should anything after a successful charge fail, the charge is
refunded before the error goes on.
"""

import hashlib
import json
from collections import OrderedDict
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction

from apps.commerce.constants import (
    IDEMPOTENCY_KEY_MAX,
    MAX_CHECKOUT_LINES,
    MAX_LINE_QUANTITY,
    OrderStatus,
    PaymentStatus,
    ProductStatus,
)
from apps.commerce.models import Order, OrderLine, Payment, ProductVariant, ShippingMethod
from apps.commerce.services import inventory, orders
from apps.core.audit import audit_created
from apps.core.errors import ErrorCode
from apps.core.exceptions import ConflictError, DomainError
from apps.core.kit import organisation
from apps.core.money import money


class PaymentDeclinedError(DomainError):
    """The card was declined: nothing was taken and nothing is written."""

    code = ErrorCode.VALIDATION_ERROR


def _digest(lines: dict, shipping_method: str, card_number: str, address: str) -> str:
    digits = "".join(ch for ch in str(card_number) if ch.isdigit())
    body = {"lines": sorted(lines.items()), "shipping": shipping_method, "card": digits[-4:],
            "address": address}  # fmt: skip
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


def _merged(lines: list) -> "OrderedDict[str, int]":
    """The lines as SKU → units (a SKU given twice is one line), bounded."""
    if not lines:
        raise ValidationError({"lines": "An order needs at least one line."})
    if len(lines) > MAX_CHECKOUT_LINES:
        raise ValidationError({"lines": f"At most {MAX_CHECKOUT_LINES} lines."})
    merged: OrderedDict[str, int] = OrderedDict()
    for line in lines:
        merged[line["sku"]] = merged.get(line["sku"], 0) + line["quantity"]
    for sku, quantity in merged.items():
        if quantity > MAX_LINE_QUANTITY:
            raise ValidationError({"lines": f"{sku}: at most {MAX_LINE_QUANTITY} units."})
    return merged


def _next_number() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval('commerce_order_number')")
        (number,) = cursor.fetchone()
    return f"SO-{number:06d}"


def _replayed(customer, key: str, digest: str) -> Order:
    order = Order.objects.filter(customer=customer, idempotency_key=key).first()
    if order is None:
        raise RuntimeError("the idempotency key's order vanished")  # re-raised as a 500
    if order.request_digest != digest:
        raise ConflictError(
            "This Idempotency-Key was used for another checkout; use a new key.",
            [{"field": "Idempotency-Key", "message": f"order {order.number} has this key"}],
        )
    return order


def checkout(
    *, customer, lines: list, shipping_method: str, card_number: str, idempotency_key: str,
    shipping_address: str = "", actor=None,
) -> tuple[Order, bool]:  # fmt: skip
    """Place and pay an order. Answers (order, created): created False when the key's order
    already exists (the same order, not charged again)."""
    key = (idempotency_key or "").strip()
    if not key or len(key) > IDEMPOTENCY_KEY_MAX or not key.isprintable():
        raise ValidationError(
            {"Idempotency-Key": f"Send an Idempotency-Key header of 1 to {IDEMPOTENCY_KEY_MAX} "
             "printable characters, the same for every retry of this checkout."}
        )  # fmt: skip
    merged = _merged(lines)
    digest = _digest(merged, shipping_method, card_number, shipping_address)
    existing = Order.objects.filter(customer=customer, idempotency_key=key).first()
    if existing is not None:
        return _replayed(customer, key, digest), False

    variants = {
        v.sku: v
        for v in ProductVariant.objects.select_related("product__tax_class").filter(
            sku__in=list(merged), product__status=ProductStatus.PUBLISHED
        )
    }
    unknown = [sku for sku in merged if sku not in variants]
    if unknown:
        raise ValidationError({"lines": f"No product on sale has the SKU {', '.join(unknown)}."})
    method = ShippingMethod.objects.filter(code=shipping_method, is_active=True).first()
    if method is None:
        raise ValidationError({"shipping_method": f"No shipping method {shipping_method!r}."})

    with transaction.atomic():
        try:
            with transaction.atomic():
                order = Order.objects.create(
                    number=_next_number(), customer=customer, email=customer.email or "",
                    idempotency_key=key, request_digest=digest, shipping_method=method,
                    shipping_address=shipping_address, currency=organisation.currency(),
                )  # fmt: skip
        except IntegrityError:
            # the same key's checkout committed meanwhile: its order, not a second one
            return _replayed(customer, key, digest), False
        return _place(order, merged, variants, method, card_number, actor), True


def _place(order: Order, merged, variants, method, card_number: str, actor) -> Order:
    lines = []
    for sku, quantity in merged.items():
        variant = variants[sku]
        price = money(variant.effective_price)
        name = variant.product.name + (f" ({variant.name})" if variant.name else "")
        line = OrderLine(order=order, variant=variant, sku=sku, name=name[:300], quantity=quantity,
                         unit_price=price, tax_rate=variant.product.tax_class.rate,
                         total=money(price * quantity))  # fmt: skip
        lines.append(line)
    lines = OrderLine.objects.bulk_create(lines)
    subtotal = sum((line.total for line in lines), Decimal("0"))
    tax = sum((money(line.total * line.tax_rate / 100) for line in lines), Decimal("0"))
    order.subtotal, order.shipping_total = money(subtotal), money(method.price)
    order.tax_total = money(tax)
    order.total = money(order.subtotal + order.shipping_total + order.tax_total)
    Order.objects.filter(pk=order.pk).update(
        subtotal=order.subtotal, shipping_total=order.shipping_total, tax_total=order.tax_total,
        total=order.total,
    )  # fmt: skip
    audit_created(order, actor=actor)
    shortages = inventory.allocate(lines, actor=actor)
    if shortages:
        said = [f"{s.sku}: {s.available} available, {s.requested} asked" for s in shortages]
        raise ConflictError(
            f"Not enough stock ({'; '.join(said)}).",
            [{"field": "lines", "message": text} for text in said],
        )
    orders.timeline_record(order=order, kind="placed", message=f"Order {order.number} placed",
                           actor=actor)  # fmt: skip

    gateway = orders.gateway()
    result = gateway.charge(card_number=card_number, amount=order.total, currency=order.currency,
                            description=f"Order {order.number}")  # fmt: skip
    if not result.succeeded:
        raise PaymentDeclinedError(
            f"The card was declined ({result.failure_reason}); nothing was charged.",
            [{"field": "card_number", "message": result.failure_reason}],
        )
    try:
        digits = "".join(ch for ch in str(card_number) if ch.isdigit())
        Payment.objects.create(
            order=order, amount=order.total, currency=order.currency, gateway=gateway.name,
            reference=result.reference, status=PaymentStatus.SUCCEEDED, card_last4=digits[-4:],
        )  # fmt: skip
        orders.order_transition(
            order=order, to=OrderStatus.PAID, message=f"Paid {order.total} {order.currency}",
            actor=actor,
        )  # fmt: skip
    except BaseException:
        gateway.refund(reference=result.reference, amount=order.total, currency=order.currency)
        raise
    return order
