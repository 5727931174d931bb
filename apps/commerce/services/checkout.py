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

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from apps.commerce.constants import (
    IDEMPOTENCY_KEY_MAX,
    MAX_CHECKOUT_LINES,
    MAX_LINE_QUANTITY,
    OrderStatus,
    PaymentStatus,
    ProductStatus,
)
from apps.commerce.models import (
    Cart,
    Order,
    OrderLine,
    Payment,
    ProductVariant,
    Reservation,
    ShippingMethod,
    ShopperAddress,
)
from apps.commerce.services import inventory, isp_plans, orders, pricing, vendors
from apps.commerce.services.carts import shop_settings
from apps.core.audit import audit_created, audit_record
from apps.core.dispatch import dispatch
from apps.core.errors import ErrorCode
from apps.core.exceptions import ConflictError, DomainError
from apps.core.kit import organisation


class PaymentDeclinedError(DomainError):
    """The card was declined: nothing was taken and nothing is written."""

    code = ErrorCode.VALIDATION_ERROR


def _digest(lines: dict, shipping_method: str, card_number: str, address: str,
            extra: dict) -> str:  # fmt: skip
    digits = "".join(ch for ch in str(card_number) if ch.isdigit())
    body = {"lines": sorted(lines.items()), "shipping": shipping_method, "card": digits[-4:],
            "address": address, **extra}  # fmt: skip
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


def _existing(customer, key: str, cart: Cart | None) -> Order | None:
    if customer is not None:
        order = Order.objects.filter(customer=customer, idempotency_key=key).first()
        if order is not None:
            return order
    if cart is not None:
        return Order.objects.filter(cart_token=cart.token).first()
    return None


def _replayed(customer, key: str, digest: str, cart: Cart | None = None) -> Order:
    order = _existing(customer, key, cart)
    if order is None:
        raise RuntimeError("the idempotency key's order vanished")  # re-raised as a 500
    if order.idempotency_key != key or order.customer_id != getattr(customer, "pk", None):
        raise ConflictError(
            f"This cart was checked out as order {order.number}.",
            [{"field": "cart", "message": f"order {order.number} has this cart"}],
        )
    if order.request_digest != digest:
        raise ConflictError(
            "This Idempotency-Key was used for another checkout; use a new key.",
            [{"field": "Idempotency-Key", "message": f"order {order.number} has this key"}],
        )
    return order


def checkout(
    *, customer, lines: list | None = None, shipping_method: str, card_number: str,
    idempotency_key: str, shipping_address: str = "", cart: Cart | None = None,
    email: str = "", discount_code: str = "", actor=None,
) -> tuple[Order, bool]:  # fmt: skip
    """Place and pay an order, of `lines` or of a `cart`'s lines (whose reservations then
    become the order's allocations). `customer` None is a guest (the shop's setting; an email
    needed). Answers (order, created): created False when the key's order already exists (the
    same order, not charged again)."""
    key = (idempotency_key or "").strip()
    if not key or len(key) > IDEMPOTENCY_KEY_MAX or not key.isprintable():
        raise ValidationError(
            {"Idempotency-Key": f"Send an Idempotency-Key header of 1 to {IDEMPOTENCY_KEY_MAX} "
             "printable characters, the same for every retry of this checkout."}
        )  # fmt: skip
    if customer is None:
        if not shop_settings().guest_checkout:
            raise ValidationError({"email": "Sign in to check out: this shop has no guest "
                                   "checkout."})  # fmt: skip
        if not email or cart is None:
            raise ValidationError({"email": "A guest checkout needs an email and a cart."})
    if cart is not None:
        lines = [{"sku": line.variant.sku, "quantity": line.quantity}
                 for line in cart.lines.select_related("variant")]  # fmt: skip
        discount_code = discount_code or (cart.discount.code if cart.discount_id else "")
    merged = _merged(lines or [])
    shipping_address, saved = (shipping_address or "").strip(), False
    if not shipping_address and customer is not None:
        saved = ShopperAddress.objects.filter(customer=customer).first()
        shipping_address = saved.address if saved else ""
    extra = {"cart": str(cart.token) if cart else "", "discount": discount_code.upper(),
             "email": email}  # fmt: skip
    digest = _digest(merged, shipping_method, card_number, shipping_address, extra)
    if _existing(customer, key, cart) is not None:
        return _replayed(customer, key, digest, cart), False
    if cart is not None and cart.checked_out_at is not None:
        raise ConflictError("This cart has been checked out already.")

    variants = {
        v.sku: v
        for v in ProductVariant.objects.select_related(
            "product__tax_class", "product__vendor"
        ).filter(sku__in=list(merged), product__status=ProductStatus.PUBLISHED)
    }
    unknown = [sku for sku in merged if sku not in variants]
    if unknown:
        raise ValidationError({"lines": f"No product on sale has the SKU {', '.join(unknown)}."})
    for sku, units in merged.items():
        isp_plans.variant_check(variants[sku], units, customer=customer, checkout=True)
    method = ShippingMethod.objects.filter(code=shipping_method, is_active=True).first()
    if method is None:
        raise ValidationError({"shipping_method": f"No shipping method {shipping_method!r}."})
    discount = pricing.discount_find(discount_code) if discount_code else None
    priced = pricing.price([(variants[sku], units) for sku, units in merged.items()],
                           method=method, discount=discount)  # fmt: skip

    with transaction.atomic():
        try:
            with transaction.atomic():
                order = Order.objects.create(
                    number=_next_number(), customer=customer,
                    email=email or getattr(customer, "email", "") or "",
                    idempotency_key=key, request_digest=digest, shipping_method=method,
                    shipping_address=shipping_address, currency=organisation.currency(),
                    cart_token=cart.token if cart else None,
                    discount_code=discount.code if discount else "",
                    subtotal=priced.subtotal, shipping_total=priced.shipping_total,
                    discount_total=priced.discount_total, tax_total=priced.tax_total,
                    total=priced.total,
                )  # fmt: skip
        except IntegrityError:
            # the same key's (or cart's) checkout committed meanwhile: its order, not a second
            return _replayed(customer, key, digest, cart), False
        if discount is not None:
            pricing.discount_use(discount, actor=actor)
        order = _place(order, priced, card_number, actor, cart)
        if cart is not None:
            Reservation.objects.filter(line__cart=cart).delete()
            Cart.objects.filter(pk=cart.pk).update(checked_out_at=timezone.now())
            audit_record(action="checkout", object_type="commerce.cart", object_id=cart.pk,
                         object_repr=f"cart {cart.pk}",
                         changes={"order": [None, order.number]}, actor=actor)  # fmt: skip
        if customer is not None and shipping_address:
            _address_remember(customer, shipping_address, actor, saved=saved)
        # the confirmation is mailed by a worker once the order is committed, not in the request
        dispatch("commerce.order_mail", order.pk, "confirmation")
        return order, True


def _place(order: Order, priced, card_number: str, actor, cart=None) -> Order:
    """The order (inserted with its totals) gets its lines, each in its vendor's fulfilment
    (made first: a line is inserted with its fulfilment), its allocations, its timeline and its
    charge, and becomes paid."""
    lines = []
    for item in priced.lines:
        variant = item.variant
        name = variant.product.name + (f" ({variant.name})" if variant.name else "")
        lines.append(OrderLine(order=order, variant=variant, sku=variant.sku, name=name[:300],
                               quantity=item.quantity, unit_price=item.unit_price,
                               tax_rate=item.tax_rate, total=item.total,
                               isp_plan=variant.product.isp_plan))  # fmt: skip
    vendors.fulfilments_create(order, lines)
    lines = OrderLine.objects.bulk_create(lines)
    audit_created(order, actor=actor)
    shortages = inventory.allocate(lines, actor=actor, cart=cart)
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
            actor=actor, lines=lines,
        )  # fmt: skip
    except BaseException:
        gateway.refund(reference=result.reference, amount=order.total, currency=order.currency)
        raise
    # the lines as written, for the answer (the order is answered as made, not read again)
    written = OrderLine.objects.filter(order=order)
    written._result_cache, written._prefetch_done = lines, True
    order._prefetched_objects_cache = {"lines": written}
    return order


def _address_remember(customer, address: str, actor, saved=False) -> None:
    """The address the customer shipped to is their default next time (`saved`: their saved
    address if the caller has read it, None for none; False: not read yet)."""
    if saved is False:
        saved = ShopperAddress.objects.filter(customer=customer).first()
    if saved is None:
        audit_created(ShopperAddress.objects.create(customer=customer, address=address),
                      actor=actor)  # fmt: skip
    elif saved.address != address:
        ShopperAddress.objects.filter(pk=saved.pk).update(address=address)
        audit_record(action="update", instance=saved, object_repr=str(saved),
                     changes={"address": ["…", "…"]}, actor=actor)  # fmt: skip
