"""What an order or a cart costs: lines at their prices, a discount code's share off the net
lines, each line's tax at its product's tax class, and shipping at the method's rate (free
above its threshold). One computation for the cart page, the API's cart and the checkout."""

from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db.models import F, Q
from django.utils import timezone

from apps.commerce.constants import DISCOUNTS, DiscountKind
from apps.commerce.models import DiscountCode, ShippingMethod
from apps.core.audit import audit_record
from apps.core.exceptions import ConflictError
from apps.core.money import ZERO, money
from apps.platform.licensing.guards import ensure_feature

__all__ = ["Priced", "discount_find", "discount_use", "price"]


@dataclass
class PricedLine:
    variant: object
    quantity: int
    unit_price: Decimal
    tax_rate: Decimal
    total: Decimal  # net, before the discount
    discount: Decimal = ZERO


@dataclass
class Priced:
    lines: list[PricedLine] = field(default_factory=list)
    subtotal: Decimal = ZERO
    discount_total: Decimal = ZERO
    shipping_total: Decimal = ZERO
    tax_total: Decimal = ZERO
    total: Decimal = ZERO


def _valid_now(query=None):
    now = timezone.now()
    return (Q(is_active=True) & (Q(valid_from__isnull=True) | Q(valid_from__lte=now))
            & (Q(valid_until__isnull=True) | Q(valid_until__gt=now)))  # fmt: skip


def discount_find(code: str) -> DiscountCode:
    """The discount code a shopper typed, if it may be used now (plan feature
    `commerce.discounts`); a clear refusal on the `discount_code` field otherwise."""
    ensure_feature(DISCOUNTS)
    code = (code or "").strip().upper()[:40]
    found = DiscountCode.objects.filter(code=code).first()
    if found is None or not DiscountCode.objects.filter(_valid_now(), pk=found.pk).exists():
        raise ValidationError({"discount_code": f"{code or 'This code'} is not a valid code now."})
    if found.usage_limit is not None and found.times_used >= found.usage_limit:
        raise ValidationError({"discount_code": f"{code} has been used up."})
    return found


def discount_use(discount: DiscountCode, *, actor=None) -> None:
    """Count one use of the code: one conditional UPDATE, so that concurrent checkouts never
    use it past its limit (the database's check refuses it too). Refused: a CONFLICT, and the
    caller's transaction writes nothing."""
    within = Q(usage_limit__isnull=True) | Q(times_used__lt=F("usage_limit"))
    used = DiscountCode.objects.filter(within & _valid_now(), pk=discount.pk).update(
        times_used=F("times_used") + 1
    )
    if not used:
        raise ConflictError(
            f"The discount code {discount.code} is used up or no longer valid; nothing was "
            "charged.",
            [{"field": "discount_code", "message": f"{discount.code} cannot be used now"}],
        )
    audit_record(action="discount_use", instance=discount, object_repr=discount.code,
                 changes={"times_used": [None, "+1"]}, actor=actor)  # fmt: skip


def _discount_of(discount: DiscountCode | None, subtotal: Decimal) -> Decimal:
    if discount is None or subtotal <= 0:
        return ZERO
    if discount.kind == DiscountKind.PERCENTAGE:
        return min(subtotal, money(subtotal * discount.value / 100))
    return min(subtotal, money(discount.value))


def price(items, *, method: ShippingMethod | None, discount: DiscountCode | None = None) -> Priced:
    """`items`: (variant with product__tax_class, quantity) pairs."""
    priced = Priced()
    for variant, quantity in items:
        unit = money(variant.effective_price)
        priced.lines.append(PricedLine(variant=variant, quantity=quantity, unit_price=unit,
                                       tax_rate=variant.product.tax_class.rate,
                                       total=money(unit * quantity)))  # fmt: skip
    priced.subtotal = money(sum((line.total for line in priced.lines), ZERO))
    priced.discount_total = _discount_of(discount, priced.subtotal)
    # The discount is shared among the lines by their net totals (the last takes the cents
    # left), so that each line's tax is on what is really paid for it.
    left = priced.discount_total
    for index, line in enumerate(priced.lines):
        if index == len(priced.lines) - 1:
            line.discount = left
        else:
            line.discount = money(priced.discount_total * line.total / priced.subtotal)
            left -= line.discount
    tax = sum((money((line.total - line.discount) * line.tax_rate / 100)
               for line in priced.lines), ZERO)  # fmt: skip
    priced.tax_total = money(tax)
    net = priced.subtotal - priced.discount_total
    if method is not None:
        free = method.free_above is not None and net >= method.free_above
        priced.shipping_total = ZERO if free else money(method.price)
    priced.total = money(net + priced.shipping_total + priced.tax_total)
    return priced
