"""Order states and every move between them, through one service (`order_transition`): each
allowed move is recorded on the order's timeline and in the audit trail; a forbidden one is a
CONFLICT that writes nothing.

    pending_payment → paid → partially_fulfilled → fulfilled → shipped → delivered
    pending_payment, paid → cancelled (allocated stock released, a payment refunded)
"""

from django.core.exceptions import ValidationError
from django.db import transaction

from apps.commerce.constants import OrderStatus, PaymentStatus
from apps.commerce.models import Order, OrderEvent, Payment
from apps.commerce.services import inventory
from apps.core import payments
from apps.core.audit import audit_updated, resolve_actor
from apps.core.exceptions import ConflictError

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


def order_transition(*, order: Order, to: str, message: str = "", actor=None) -> Order:
    """Move a (locked) order to status `to`: allowed moves only (CONFLICT otherwise), on the
    timeline and audited. The one place an order's status is written."""
    _ensure_allowed(order, to)
    before = {"status": order.status}
    Order.objects.filter(pk=order.pk).update(status=to)
    order.status = to
    audit_updated(order, before, actor=actor, action="status")
    timeline_record(
        order=order, kind=to, message=message or f"Order {S(to).label.lower()}", actor=actor
    )
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
    return order_transition(order=_locked(order), to=S.SHIPPED, message=message, actor=actor)


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
    for payment in order.payments.filter(status=PaymentStatus.SUCCEEDED):
        result = gateway().refund(
            reference=payment.reference, amount=payment.amount, currency=payment.currency
        )
        if not result.succeeded:
            raise ConflictError(f"The gateway refused the refund: {result.failure_reason}.")
        Payment.objects.filter(pk=payment.pk).update(
            status=PaymentStatus.REFUNDED, refund_reference=result.reference
        )
        timeline_record(order=order, kind="refunded", message=f"{payment.amount} refunded",
                        actor=actor)  # fmt: skip
    message = f"Cancelled: {reason}" if reason else "Cancelled"
    return order_transition(order=order, to=S.CANCELLED, message=message[:300], actor=actor)
