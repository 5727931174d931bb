"""A vendor's part of an order, worked from the vendor portal: fulfil its units, then ship it;
the order ships once all its fulfilments have (services.vendors keeps them in step with the
order when the back office works the whole order)."""

from django.db import transaction

from apps.commerce.constants import FulfilmentStatus
from apps.commerce.models import Fulfilment, Order
from apps.commerce.services import orders
from apps.core.audit import audit_record, audit_updated
from apps.core.exceptions import ConflictError

F = FulfilmentStatus


@transaction.atomic
def fulfilment_fulfil(*, fulfilment: Fulfilment, actor=None) -> Fulfilment:
    """A vendor (or the back office) fulfils the units that remain of one fulfilment's lines:
    they leave stock, the order becomes partially fulfilled or fulfilled."""
    fulfilment = Fulfilment.objects.select_for_update().get(pk=fulfilment.pk)
    if fulfilment.status != F.PENDING:
        raise ConflictError(
            f"This fulfilment is {F(fulfilment.status).label.lower()}: nothing to fulfil.",
            [{"field": "status", "message": f"{fulfilment.status} → fulfilled is not allowed"}],
        )
    lines = [
        {"line": line.pk, "quantity": line.quantity - line.quantity_fulfilled}
        for line in fulfilment.lines.all() if line.quantity > line.quantity_fulfilled
    ]  # fmt: skip
    orders.order_fulfil(order=fulfilment.order, lines=lines, actor=actor)
    fulfilment.refresh_from_db()
    return fulfilment


@transaction.atomic
def fulfilment_ship(*, fulfilment: Fulfilment, tracking: str = "", actor=None) -> Fulfilment:
    """Ship one fulfilled fulfilment; when every fulfilment of the order has shipped (and the
    order is fulfilled), the order is shipped."""
    fulfilment = Fulfilment.objects.select_for_update().get(pk=fulfilment.pk)
    if fulfilment.status != F.FULFILLED:
        raise ConflictError(
            f"This fulfilment is {F(fulfilment.status).label.lower()}; only a fulfilled one ships.",
            [{"field": "status", "message": f"{fulfilment.status} → shipped is not allowed"}],
        )
    before = {"status": fulfilment.status}
    Fulfilment.objects.filter(pk=fulfilment.pk).update(status=F.SHIPPED, tracking=tracking[:100])
    fulfilment.status, fulfilment.tracking = F.SHIPPED, tracking[:100]
    audit_updated(fulfilment, before, actor=actor, action="ship")
    order = fulfilment.order
    audit_record(action="fulfilment_ship", instance=order, object_repr=order.number,
                 changes={"fulfilment": [None, fulfilment.pk]}, actor=actor)  # fmt: skip
    orders.timeline_record(
        order=order, kind="fulfilment_shipped", actor=actor,
        message=f"Shipped by {fulfilment.vendor.name if fulfilment.vendor_id else 'the shop'}"
        + (f" (tracking {tracking[:100]})" if tracking else ""),
    )  # fmt: skip
    others = Fulfilment.objects.filter(order=order).exclude(status__in=[F.SHIPPED, F.CANCELLED])
    if not others.exists() and Order.objects.get(pk=order.pk).status == "fulfilled":
        orders.order_ship(order=order, actor=actor)
    return fulfilment
