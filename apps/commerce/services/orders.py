"""Order states and every move between them, through one service (`order_transition`): each
allowed move is recorded on the order's timeline and in the audit trail; a forbidden one is a
CONFLICT that writes nothing.

    pending_payment → paid → partially_fulfilled → fulfilled → shipped → delivered
    pending_payment, paid → cancelled (allocated stock released, a payment refunded)
"""

import logging
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F
from django.template.loader import render_to_string

from apps.commerce.constants import MovementKind, OrderStatus, PaymentStatus
from apps.commerce.models import Order, OrderEvent, OrderLine, OrderReturn, Payment, ReturnLine
from apps.commerce.services import inventory, isp_plans, vendors
from apps.core import payments
from apps.core.audit import audit_created, audit_record, audit_updated, resolve_actor
from apps.core.dispatch import dispatch
from apps.core.exceptions import ConflictError
from apps.core.money import ZERO, money

logger = logging.getLogger(__name__)

S = OrderStatus
#: status → the statuses it may move to.
TRANSITIONS: dict[str, frozenset[str]] = {
    S.PENDING_PAYMENT: frozenset({S.PAID, S.CANCELLED}),
    S.PAID: frozenset({S.PARTIALLY_FULFILLED, S.FULFILLED, S.CANCELLED}),
    S.PARTIALLY_FULFILLED: frozenset({S.PARTIALLY_FULFILLED, S.FULFILLED}),
    S.FULFILLED: frozenset({S.SHIPPED}),
    S.SHIPPED: frozenset({S.DELIVERED}),
    S.DELIVERED: frozenset(),
    S.CANCELLED: frozenset(),
}


def gateway() -> payments.PaymentGateway:
    return payments.gateway("COMMERCE_PAYMENT_GATEWAY")


def timeline_record(*, order: Order, kind: str, message: str, actor=None) -> OrderEvent:
    return OrderEvent.objects.create(
        order=order, kind=kind, message=message[:300], actor=resolve_actor(actor).name[:150]
    )


def _locked(order: Order) -> Order:
    return Order.objects.select_for_update(of=("self",)).get(pk=order.pk)


def _ensure_allowed(order: Order, to: str) -> None:
    if to not in TRANSITIONS[order.status]:
        raise ConflictError(
            f"Order {order.number} is {S(order.status).label.lower()}; it cannot become "
            f"{S(to).label.lower()}.",
            [{"field": "status", "message": f"{order.status} → {to} is not allowed"}],
        )


def order_transition(
    *, order: Order, to: str, message: str = "", tracking: str = "", actor=None, lines=None
) -> Order:
    """Move a (locked) order to status `to`: allowed moves only (CONFLICT otherwise), on the
    timeline and audited. The one place an order's status is written: its vendors'
    commissions accrue when it becomes paid and its ISP services are ordered, its fulfilments
    follow it. `lines`: the order's lines (with their fulfilments), when the caller has them
    (checkout: not read again)."""
    _ensure_allowed(order, to)
    before = {"status": order.status}
    Order.objects.filter(pk=order.pk).update(status=to)
    order.status = to
    audit_updated(order, before, actor=actor, action="status")
    timeline_record(
        order=order, kind=to, message=message or f"Order {S(to).label.lower()}", actor=actor
    )
    if to == S.PAID:
        vendors.commissions_accrue(order, lines=lines, actor=actor)
        isp_plans.services_order(order, lines=lines, actor=actor)
    follows = {S.PARTIALLY_FULFILLED: "fulfilled", S.FULFILLED: "fulfilled"}.get(to, to)
    vendors.fulfilments_follow(order, follows, tracking=tracking)
    return order


@transaction.atomic
def order_fulfil(*, order: Order, lines: list | None = None, actor=None) -> Order:
    """Fulfil some units of a paid order (`lines`: [{"line": id, "quantity": n}], default all
    that remain): they leave stock (sale movements); the order becomes partially fulfilled or
    fulfilled."""
    order = _locked(order)
    remaining = {line.pk: line.quantity - line.quantity_fulfilled for line in order.lines.all()}
    if lines is None:
        wanted = {pk: n for pk, n in remaining.items() if n}
    else:
        wanted = {}
        for item in lines:
            pk, units = item["line"], item["quantity"]
            if pk not in remaining:
                raise ValidationError({"lines": f"Line {pk} is not one of order {order.number}."})
            if units < 1 or wanted.get(pk, 0) + units > remaining[pk]:
                raise ValidationError({"lines": f"Line {pk} has {remaining[pk]} units to fulfil."})
            wanted[pk] = wanted.get(pk, 0) + units
    complete = all(wanted.get(pk, 0) == n for pk, n in remaining.items())
    target = S.FULFILLED if complete else S.PARTIALLY_FULFILLED
    _ensure_allowed(order, target)
    if not wanted:
        raise ValidationError({"lines": "Nothing to fulfil."})
    allocations = [
        a for line in order.lines.prefetch_related("allocations__stock", "allocations__line")
        for a in line.allocations.all()
    ]  # fmt: skip
    inventory.allocations_fulfil(allocations, wanted, order=order, actor=actor)
    for line in order.lines.all():
        if wanted.get(line.pk):
            line.quantity_fulfilled += wanted[line.pk]
            line.save(update_fields=["quantity_fulfilled"])
    units = sum(wanted.values())
    return order_transition(order=order, to=target, message=f"{units} units fulfilled", actor=actor)


@transaction.atomic
def order_ship(*, order: Order, tracking: str = "", actor=None) -> Order:
    message = f"Shipped (tracking {tracking})" if tracking else "Shipped"
    order = order_transition(order=_locked(order), to=S.SHIPPED, message=message,
                             tracking=tracking, actor=actor)  # fmt: skip
    dispatch("commerce.order_mail", order.pk, "shipped", tracking)
    return order


@transaction.atomic
def order_deliver(*, order: Order, actor=None) -> Order:
    return order_transition(order=_locked(order), to=S.DELIVERED, message="Delivered", actor=actor)


@transaction.atomic
def order_cancel(*, order: Order, reason: str = "", actor=None) -> Order:
    """Cancel an order not yet fulfilled: its allocated stock is released and its payment
    refunded through the gateway (a refused refund refuses the cancellation)."""
    order = _locked(order)
    _ensure_allowed(order, S.CANCELLED)
    allocations = [a for line in order.lines.prefetch_related("allocations")
                   for a in line.allocations.all()]  # fmt: skip
    inventory.allocations_release(allocations, actor=actor)
    left = sum((p.amount - p.refunded_amount for p in
                order.payments.filter(status=PaymentStatus.SUCCEEDED)), ZERO)  # fmt: skip
    if left:
        _refund(order, left, actor=actor)
    vendors.commissions_reverse(order, {line.pk: Decimal(1) for line in order.lines.all()},
                                note=f"Cancellation of {order.number}", actor=actor)  # fmt: skip
    message = f"Cancelled: {reason}" if reason else "Cancelled"
    order = order_transition(order=order, to=S.CANCELLED, message=message[:300], actor=actor)
    isp_plans.services_cancel(order, actor=actor)
    return order


def _refund(order: Order, amount: Decimal, *, actor=None) -> None:
    """Give `amount` back through the gateway, from the order's charges in turn (a refused
    refund is a CONFLICT: the caller's transaction writes nothing)."""
    left = amount
    for payment in order.payments.select_for_update().filter(status=PaymentStatus.SUCCEEDED):
        share = min(left, payment.amount - payment.refunded_amount)
        if share <= 0:
            continue
        result = gateway().refund(reference=payment.reference, amount=share,
                                  currency=payment.currency)  # fmt: skip
        if not result.succeeded:
            raise ConflictError(f"The gateway refused the refund: {result.failure_reason}.")
        refunded = payment.refunded_amount + share
        Payment.objects.filter(pk=payment.pk).update(
            refunded_amount=refunded, refund_reference=result.reference,
            status=PaymentStatus.REFUNDED if refunded == payment.amount else payment.status,
        )  # fmt: skip
        before = {"refunded_amount": payment.refunded_amount}
        payment.refunded_amount = refunded
        audit_updated(payment, before, actor=actor, action="refund")
        left -= share
        if not left:
            break
    if left:
        raise ConflictError(f"Only {amount - left} of {amount} can be refunded on this order.")
    Order.objects.filter(pk=order.pk).update(refunded_total=F("refunded_total") + amount)
    before = {"refunded_total": order.refunded_total}
    order.refunded_total += amount
    audit_updated(order, before, actor=actor, action="refund")
    timeline_record(order=order, kind="refunded",
                    message=f"{amount} {order.currency} refunded", actor=actor)  # fmt: skip


def _refundable(order: Order) -> Decimal:
    charged = sum((p.amount - p.refunded_amount for p in order.payments.all()
                   if p.status == PaymentStatus.SUCCEEDED), ZERO)  # fmt: skip
    return money(charged)


@transaction.atomic
def order_refund(*, order: Order, amount, reason: str = "", actor=None) -> Order:
    """A partial (or whole) refund without a return (a goodwill gesture, a late delivery):
    through the gateway, on the timeline and audited. More than is left is refused."""
    order = _locked(order)
    if order.status in (S.PENDING_PAYMENT, S.CANCELLED):
        raise ConflictError(f"Order {order.number} has no payment to refund.",
                            [{"field": "status", "message": order.status}])  # fmt: skip
    amount = money(amount)
    if amount <= 0 or amount > _refundable(order):
        raise ValidationError({"amount": f"Between 0.01 and {_refundable(order)}."})
    _refund(order, amount, actor=actor)
    vendors.commissions_reverse(order, vendors.shares_pro_rata(order, amount),
                                note=f"Refund on {order.number}", actor=actor)  # fmt: skip
    if reason:
        timeline_record(order=order, kind="note", message=f"Refund: {reason}", actor=actor)
    if not _refundable(Order.objects.get(pk=order.pk)):  # wholly refunded
        isp_plans.services_cancel(order, actor=actor)
    return Order.objects.get(pk=order.pk)


@transaction.atomic
def order_return(
    *, order: Order, lines: list, warehouse: str, refund=None, reason: str = "", actor=None
) -> OrderReturn:
    """Units sent back (`lines`: [{"line": id, "quantity": n}] of fulfilled units): restocked
    into `warehouse` (return movements of the ledger) and refunded — by default their price
    with its tax share, or `refund` (a partial refund) — through the gateway. Wholly refunded,
    the order's pending ISP services end as on a refund."""
    order = _locked(order)
    if order.status not in (S.PARTIALLY_FULFILLED, S.FULFILLED, S.SHIPPED, S.DELIVERED):
        raise ConflictError(
            f"Order {order.number} has nothing fulfilled to return.",
            [{"field": "status", "message": f"{order.status}: nothing to return"}],
        )
    if not lines:
        raise ValidationError({"lines": "Name the units returned."})
    place = inventory.warehouse_of(warehouse)
    by_pk = {line.pk: line for line in OrderLine.objects.select_for_update().filter(order=order)}
    wanted: dict[int, int] = {}
    for item in lines:
        pk, units = item["line"], item["quantity"]
        line = by_pk.get(pk)
        if line is None:
            raise ValidationError({"lines": f"Line {pk} is not one of order {order.number}."})
        can = line.quantity_fulfilled - line.quantity_returned - wanted.get(pk, 0)
        if units < 1 or units > can:
            raise ValidationError({"lines": f"Line {pk} has {can} units that can be returned."})
        wanted[pk] = wanted.get(pk, 0) + units
    worth = sum((money(by_pk[pk].unit_price * n * (1 + by_pk[pk].tax_rate / 100))
                 for pk, n in wanted.items()), ZERO)  # fmt: skip
    amount = money(worth if refund is None else refund)
    if amount < 0 or amount > _refundable(order):
        raise ValidationError({"refund": f"Between 0.00 and {_refundable(order)}."})
    made = OrderReturn.objects.create(order=order, warehouse=place, refund=amount,
                                      reason=reason[:200],
                                      actor=resolve_actor(actor).name[:150])  # fmt: skip
    ReturnLine.objects.bulk_create(
        [ReturnLine(order_return=made, line=by_pk[pk], quantity=n) for pk, n in wanted.items()]
    )
    audit_created(made, actor=actor)
    for pk, units in sorted(wanted.items()):
        line = by_pk[pk]
        OrderLine.objects.filter(pk=pk).update(quantity_returned=F("quantity_returned") + units)
        inventory.stock_adjust(sku=line.sku, warehouse=place.code, quantity=units,
                               kind=MovementKind.RETURN, note=f"Return of {order.number}",
                               actor=actor)  # fmt: skip
    units = sum(wanted.values())
    audit_record(action="return", instance=order, object_repr=order.number,
                 changes={"returned": [None, {by_pk[pk].sku: n for pk, n in wanted.items()}]},
                 actor=actor)  # fmt: skip
    timeline_record(order=order, kind="returned",
                    message=f"{units} units returned to {place.code}", actor=actor)  # fmt: skip
    if amount:
        _refund(order, amount, actor=actor)
        # the vendors give back the units returned, in the proportion refunded of their worth
        scale = min(amount / worth, Decimal(1)) if worth else Decimal(0)
        shares = {pk: Decimal(n) / by_pk[pk].quantity * scale for pk, n in wanted.items()}
        vendors.commissions_reverse(order, shares, note=f"Return on {order.number}",
                                    actor=actor)  # fmt: skip
        if not _refundable(Order.objects.get(pk=order.pk)):  # wholly refunded
            isp_plans.services_cancel(order, actor=actor)
    return made


def order_mail(order_id: int, kind: str, tracking: str = "") -> None:
    """The customer's email about their order (`confirmation`, `shipped`), sent by a worker
    (task `commerce.order_mail`, dispatched when the transaction that made the news commits);
    a mail server's failure is logged, the order stands."""
    order = Order.objects.select_related("shipping_method").filter(pk=order_id).first()
    if order is None or not order.email:
        return
    context = {"order": order, "lines": list(order.lines.all()), "tracking": tracking}
    subject = {"confirmation": f"Your order {order.number} is confirmed",
               "shipped": f"Your order {order.number} is on its way"}[kind]  # fmt: skip
    try:
        send_mail(subject, render_to_string(f"commerce/emails/{kind}.txt", context), None,
                  [order.email])  # fmt: skip
    except Exception:  # noqa: BLE001 - the order is placed; the mail is not worth failing it
        logger.exception("order mail %s of %s failed", kind, order.number)
