"""Carts: lines that reserve stock until they expire, a discount code, the merge of a visitor's
cart into the customer's at sign-in, and the sweep of what has expired.

Reservations after Saleor's (saleor/warehouse/reservations.py `reserve_stocks`): setting a line
locks the variant's stock rows in pk order (the order allocation locks them in, Saleor #543),
counts what is free there (on hand, less allocated, less what other carts hold unexpired), and
replaces the line's reservations with new ones running `reservation_minutes` from now. Asking
for more than is free is a CONFLICT naming the SKU, and the line is left as it was.
"""

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.commerce.constants import MAX_CART_LINES, MAX_LINE_QUANTITY, STALE_CART_DAYS
from apps.commerce.models import Cart, CartLine, ProductVariant, Reservation, ShopSettings
from apps.commerce.services import inventory, isp_plans
from apps.commerce.services.pricing import discount_find
from apps.core.audit import audit_created, audit_record
from apps.core.exceptions import ConflictError

__all__ = [
    "cart_discount_set",
    "cart_line_set",
    "cart_merge",
    "cart_of_customer",
    "reservations_sweep",
    "shop_settings",
]


def shop_settings() -> ShopSettings:
    """The shop's settings (the defaults until the row is saved once)."""
    return ShopSettings.objects.filter(pk=1).first() or ShopSettings(pk=1)


def cart_of_customer(customer, *, create: bool = True) -> Cart | None:
    """The customer's open cart (made the first time; two first requests at once: one makes
    it, the other finds it)."""
    cart = Cart.objects.filter(customer=customer, checked_out_at__isnull=True).first()
    if cart is not None or not create:
        return cart
    try:
        with transaction.atomic():
            cart = Cart.objects.create(customer=customer)
            audit_created(cart)
            return cart
    except IntegrityError:
        return Cart.objects.get(customer=customer, checked_out_at__isnull=True)


def _open(cart: Cart) -> Cart:
    locked = Cart.objects.select_for_update().filter(pk=cart.pk).first()
    if locked is None or locked.checked_out_at is not None:
        raise ConflictError("This cart has been checked out; start a new one.")
    return locked


def _variant_on_sale(sku: str) -> ProductVariant:
    variant = (ProductVariant.objects.select_related("product")
               .filter(sku=sku, product__status="published").first())  # fmt: skip
    if variant is None:
        raise ValidationError({"sku": f"No product on sale has the SKU {sku!r}."})
    return variant


def _audit_cart(cart: Cart, action: str, changes: dict, actor, line=None) -> None:
    """The audit entries of a change of a cart (and of its line, whose reservations change
    with it)."""
    audit_record(action=action, object_type="commerce.cart", object_id=cart.pk,
                 object_repr=f"cart {cart.pk}", changes=changes, actor=actor)  # fmt: skip
    if line is not None:
        audit_record(action=action, object_type="commerce.cartline", object_id=line.pk,
                     object_repr=f"cart {cart.pk} line {line.pk}", changes=changes,
                     actor=actor)  # fmt: skip


def _reserve(line: CartLine, cart: Cart, variant: ProductVariant, quantity: int) -> None:
    """Replace the line's reservations by `quantity` units (stock rows locked in pk order)."""
    stocks = inventory.stocks_locked([variant.pk])
    held = inventory.reserved_by_others([s.pk for s in stocks], cart)
    free = {s.pk: max(0, s.available - held.get(s.pk, 0)) for s in stocks}
    if sum(free.values()) < quantity:
        raise ConflictError(
            f"Not enough stock of {variant.sku}: {sum(free.values())} available, {quantity} asked.",
            [{"field": "quantity", "message": f"{variant.sku}: {sum(free.values())} available"}],
        )
    minutes = shop_settings().reservation_minutes
    Reservation.objects.filter(line=line).delete()
    if not minutes:
        return
    until, need, rows = timezone.now() + timedelta(minutes=minutes), quantity, []
    for stock in sorted(stocks, key=lambda s: (-free[s.pk], s.pk)):
        units = min(free[stock.pk], need)
        if units:
            rows.append(Reservation(line=line, stock=stock, quantity=units, reserved_until=until))
            need -= units
    Reservation.objects.bulk_create(rows)


@transaction.atomic
def cart_line_set(*, cart: Cart, sku: str, quantity: int, add: bool = False, actor=None) -> Cart:
    """Set (or, with `add`, raise) a line's units; 0 removes it. The line's stock is reserved
    anew for the shop's reservation time; more than is free is a CONFLICT and changes nothing."""
    if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 0:
        raise ValidationError({"quantity": "A whole number of units, 0 or more."})
    cart = _open(cart)
    variant = _variant_on_sale(sku)
    line = CartLine.objects.filter(cart=cart, variant=variant).first()
    if add and line is not None:
        quantity += line.quantity
    if quantity > MAX_LINE_QUANTITY:
        raise ValidationError({"quantity": f"At most {MAX_LINE_QUANTITY} units of a SKU."})
    if quantity:
        isp_plans.variant_check(variant, quantity)
    before = line.quantity if line is not None else 0
    if quantity == 0:
        if line is not None:
            _audit_cart(cart, "cart_line", {sku: [before, 0]}, actor, line=line)
            line.delete()
            Cart.objects.filter(pk=cart.pk).update(updated_at=timezone.now())
        return cart
    if line is None:
        if cart.lines.count() >= MAX_CART_LINES:
            raise ValidationError({"sku": f"A cart holds at most {MAX_CART_LINES} lines."})
        line = CartLine(cart=cart, variant=variant, quantity=quantity)
    line.quantity = quantity
    line.save()
    # audited first: a refused reservation rolls the entry back with the line
    _audit_cart(cart, "cart_line", {sku: [before, quantity]}, actor, line=line)
    _reserve(line, cart, variant, quantity)
    Cart.objects.filter(pk=cart.pk).update(updated_at=timezone.now())
    return cart


@transaction.atomic
def cart_discount_set(*, cart: Cart, code: str, actor=None) -> Cart:
    """Put a discount code on the cart (checked now, counted at checkout); "" removes it."""
    cart = _open(cart)
    before = cart.discount.code if cart.discount_id else None
    cart.discount = discount_find(code) if (code or "").strip() else None
    cart.save(update_fields=["discount", "updated_at"])
    after = cart.discount.code if cart.discount_id else None
    _audit_cart(cart, "cart_discount", {"discount": [before, after]}, actor)
    return cart


@transaction.atomic
def cart_merge(*, source: Cart, into: Cart, actor=None) -> Cart:
    """Move a visitor's cart into the customer's at sign-in: units of the same SKU add up (as
    far as stock allows: a line keeps what is free), the visitor's cart is deleted."""
    if source.pk == into.pk:
        return into
    source = Cart.objects.select_for_update().filter(pk=source.pk).first()
    if source is None or source.checked_out_at is not None:
        return into
    lines = list(source.lines.select_related("variant"))
    Reservation.objects.filter(line__cart=source).delete()  # freed, then reserved for `into`
    discount, source_pk = source.discount, source.pk
    source.delete()
    moved = 0
    for line in lines:
        try:
            with transaction.atomic():
                cart_line_set(cart=into, sku=line.variant.sku, quantity=line.quantity, add=True)
            moved += line.quantity
        except (ConflictError, ValidationError):
            continue  # sold out meanwhile or no longer on sale: the customer's cart says so
    if discount is not None and into.discount_id is None:
        Cart.objects.filter(pk=into.pk).update(discount=discount)
    _audit_cart(into, "cart_merge", {"units": [None, moved], "from": [source_pk, None]}, actor)
    return into


def reservations_sweep() -> int:
    """Delete expired reservations (they hold nothing already) and visitors' carts untouched
    for STALE_CART_DAYS. Answers the reservations deleted."""
    now = timezone.now()
    deleted, _ = Reservation.objects.filter(reserved_until__lte=now).delete()
    if deleted:
        audit_record(action="reservations_sweep", object_type="commerce.reservation",
                     object_id="", object_repr="expired reservations",
                     changes={"deleted": [deleted, 0]})  # fmt: skip
    Cart.objects.filter(customer__isnull=True, checked_out_at__isnull=True,
                        updated_at__lt=now - timedelta(days=STALE_CART_DAYS)).delete()  # fmt: skip
    return deleted
