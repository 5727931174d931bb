"""Stock: adjustments, receipts and transfers (each a movement of the ledger), allocation to
orders and its release or fulfilment, and a recount from the ledger.

No overselling: every change of a stock row is one conditional UPDATE that touches the row only
if the result stays valid (`quantity + delta >= allocated`, `quantity - allocated >= n`), and
the check constraints refuse anything else at the database. Allocation first locks every stock
row it may use, in primary-key order, so that two checkouts of the same SKUs never deadlock
(Saleor #543, saleor/warehouse/management.py allocate_stocks).
"""

from collections import defaultdict
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, IntegerField, OuterRef, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from apps.commerce.constants import MAX_STOCK_DELTA, MovementKind
from apps.commerce.models import Allocation, Reservation, Stock, StockMovement, Warehouse
from apps.commerce.models.catalog import ProductVariant
from apps.core.audit import audit_created, audit_record, resolve_actor
from apps.core.exceptions import ConflictError

__all__ = [
    "Shortage",
    "allocate",
    "allocations_fulfil",
    "allocations_release",
    "reserved_by_others",
    "stocks_locked",
    "stocks_locked_with_reserved",
    "warehouse_of",
    "stock_adjust",
    "stock_recount",
    "stock_transfer",
]


@dataclass(frozen=True)
class Shortage:
    sku: str
    requested: int
    available: int


def _variant(sku: str) -> ProductVariant:
    variant = ProductVariant.objects.filter(sku=sku).first()
    if variant is None:
        raise ValidationError({"sku": f"No variant has the SKU {sku!r}."})
    return variant


def warehouse_of(code: str) -> Warehouse:
    warehouse = Warehouse.objects.filter(code=code).first()
    if warehouse is None:
        raise ValidationError({"warehouse": f"No warehouse has the code {code!r}."})
    return warehouse


def _stock_row(variant: ProductVariant, warehouse: Warehouse) -> Stock:
    """The stock row of a variant in a warehouse, created at zero the first time (two first
    receipts at once: one creates it, the other finds it)."""
    try:
        with transaction.atomic():
            stock, _ = Stock.objects.get_or_create(variant=variant, warehouse=warehouse)
    except IntegrityError:
        stock = Stock.objects.get(variant=variant, warehouse=warehouse)
    return stock


def _move(stock: Stock, delta: int, *, kind: str, order=None, note: str = "", actor=None):
    """Change the units on hand by `delta` in one conditional UPDATE (refused, nothing written,
    when fewer units than are allocated would remain) and record the movement."""
    moved = Stock.objects.filter(pk=stock.pk, quantity__gte=F("allocated") - delta).update(
        quantity=F("quantity") + delta
    )
    if not moved:
        current = Stock.objects.get(pk=stock.pk)
        raise ConflictError(
            f"Not enough stock of {stock.variant.sku} in {stock.warehouse.code}: "
            f"{current.available} available, a change of {delta} asked.",
            [
                {
                    "field": "quantity",
                    "message": f"{stock.variant.sku}: {current.available} available",
                }
            ],
        )
    after = Stock.objects.values_list("quantity", flat=True).get(pk=stock.pk)
    _audit_stock(stock, f"stock_{kind}", {"quantity": [after - delta, after]}, actor)
    return StockMovement.objects.create(
        variant_id=stock.variant_id, warehouse_id=stock.warehouse_id, kind=kind, quantity=delta,
        order=order, note=note[:200], actor=resolve_actor(actor).name[:150],
    )  # fmt: skip


def _audit_stock(stock: Stock, action: str, changes: dict, actor) -> None:
    """The audit entry of a change of a stock row (its allocations' changes with it)."""
    audit_record(action=action, object_type="commerce.stock", object_id=stock.pk,
                 object_repr=f"stock {stock.pk}", changes=changes, actor=actor)  # fmt: skip


def _audit_movement(movement: StockMovement, sku: str, warehouse: str, actor) -> None:
    audit_record(
        action="stock_" + movement.kind, instance=movement,
        object_repr=f"{sku} @ {warehouse} {movement.quantity:+d}",
        changes={"quantity": [None, movement.quantity]}, actor=actor,
    )  # fmt: skip


def _bounded(quantity: int, *, signed: bool) -> int:
    if isinstance(quantity, bool) or not isinstance(quantity, int):
        raise ValidationError({"quantity": "A whole number of units."})
    if quantity == 0 or abs(quantity) > MAX_STOCK_DELTA or (not signed and quantity < 0):
        raise ValidationError({"quantity": f"Between 1 and {MAX_STOCK_DELTA:,} units."})
    return quantity


@transaction.atomic
def stock_adjust(
    *, sku: str, warehouse: str, quantity: int, kind: str = MovementKind.ADJUSTMENT,
    note: str = "", actor=None,
) -> Stock:  # fmt: skip
    """Change a variant's units in a warehouse by a signed `quantity` (a count adjustment, a
    receipt, a return). Below zero, or below what is allocated, is refused (CONFLICT) and
    writes nothing."""
    if kind not in (MovementKind.ADJUSTMENT, MovementKind.RECEIPT, MovementKind.RETURN):
        raise ValidationError({"kind": "Adjustments, receipts or returns only."})
    _bounded(quantity, signed=kind == MovementKind.ADJUSTMENT)
    variant, place = _variant(sku), warehouse_of(warehouse)
    stock = _stock_row(variant, place)
    movement = _move(stock, quantity, kind=kind, note=note, actor=actor)
    _audit_movement(movement, sku, warehouse, actor)
    return Stock.objects.get(pk=stock.pk)


@transaction.atomic
def stock_transfer(
    *, sku: str, source: str, destination: str, quantity: int, note: str = "", actor=None
) -> tuple[Stock, Stock]:
    """Move units between two warehouses: two movements of the ledger, both or neither."""
    _bounded(quantity, signed=False)
    if source == destination:
        raise ValidationError({"destination": "Another warehouse than the source."})
    variant = _variant(sku)
    out_of = _stock_row(variant, warehouse_of(source))
    into = _stock_row(variant, warehouse_of(destination))
    list(Stock.objects.select_for_update().filter(pk__in=[out_of.pk, into.pk]).order_by("pk"))
    for stock, delta in ((out_of, -quantity), (into, quantity)):
        movement = _move(stock, delta, kind=MovementKind.TRANSFER, note=note, actor=actor)
        _audit_movement(movement, sku, stock.warehouse.code, actor)
    return Stock.objects.get(pk=out_of.pk), Stock.objects.get(pk=into.pk)


def stock_recount(*, actor=None) -> int:
    """Recompute every stock row's units on hand from the ledger (the sum of its movements);
    answers how many rows were wrong and are now corrected."""
    totals = {
        (row["variant"], row["warehouse"]): row["total"]
        for row in StockMovement.objects.values("variant", "warehouse").annotate(
            total=Sum("quantity")
        )
    }
    fixed = 0
    with transaction.atomic():
        for stock in Stock.objects.select_for_update().order_by("pk"):
            expected = totals.get((stock.variant_id, stock.warehouse_id), 0)
            if stock.quantity != expected:
                Stock.objects.filter(pk=stock.pk).update(quantity=expected)
                audit_record(
                    action="stock_recount", instance=stock,
                    changes={"quantity": [stock.quantity, expected]}, actor=actor,
                )  # fmt: skip
                fixed += 1
    return fixed


# --- allocation --------------------------------------------------------------------------------


def stocks_locked(variant_ids) -> list[Stock]:
    """The stock rows of these variants in active warehouses, locked in pk order (Saleor
    #543: every writer locks in the same order, so two never wait on each other in a cycle)."""
    return list(
        Stock.objects.select_for_update(of=("self",))
        .filter(variant_id__in=sorted(set(variant_ids)), warehouse__is_active=True)
        .order_by("pk")
    )


def stocks_locked_with_reserved(variant_ids, cart=None) -> list[Stock]:
    """`stocks_locked`, each row with `reserved_by_others` (the units carts other than `cart`
    reserve there, unexpired), read in the same statement as the lock: reservations are
    written under these locks, so the figure holds while they are held."""
    held = Reservation.objects.filter(stock=OuterRef("pk"), reserved_until__gt=timezone.now())
    if cart is not None:
        held = held.exclude(line__cart=cart)
    held = held.order_by().values("stock").annotate(units=Sum("quantity")).values("units")
    return list(
        Stock.objects.select_for_update(of=("self",))
        .filter(variant_id__in=sorted(set(variant_ids)), warehouse__is_active=True)
        .annotate(reserved_by_others=Coalesce(Subquery(held, output_field=IntegerField()), 0))
        .order_by("pk")
    )


def reserved_by_others(stock_ids, cart=None) -> dict[int, int]:
    """Units of these stock rows that carts other than `cart` reserve and whose reservation
    has not expired (read under the rows' locks: reservations are written under them too)."""
    rows = Reservation.objects.filter(stock_id__in=list(stock_ids),
                                      reserved_until__gt=timezone.now())  # fmt: skip
    if cart is not None:
        rows = rows.exclude(line__cart=cart)
    totals = rows.values("stock_id").annotate(units=Sum("quantity")).order_by()
    return {row["stock_id"]: row["units"] for row in totals}


def allocate(lines, *, actor=None, cart=None) -> list[Shortage]:
    """Allocate stock to order lines (each with `variant_id`, `quantity`, a saved line), from
    the active warehouses holding most of each variant first. The stock rows are locked in pk
    order first; units other carts reserve (unexpired) are not free, the buyer's own `cart`'s
    are. Answers the shortages (then nothing is allocated: the caller's transaction is rolled
    back by the conflict it raises)."""
    stocks = stocks_locked_with_reserved((line.variant_id for line in lines), cart)
    by_variant = defaultdict(list)
    for stock in stocks:
        stock.free = max(0, stock.available - stock.reserved_by_others)
        by_variant[stock.variant_id].append(stock)
    taken: dict[int, int] = defaultdict(int)  # stock pk → units allocated here
    plan, shortages = [], []
    for line in lines:
        rows = sorted(by_variant[line.variant_id], key=lambda s: (-s.free, s.pk))
        need = line.quantity
        for stock in rows:
            free = stock.free - taken[stock.pk]
            if need and free > 0:
                units = min(free, need)
                taken[stock.pk] += units
                plan.append(Allocation(line=line, stock=stock, quantity=units))
                need -= units
        if need:
            available = sum(s.free for s in by_variant[line.variant_id])
            shortages.append(Shortage(line.sku, line.quantity, available))
    if shortages:
        return shortages
    for stock_pk, units in sorted(taken.items()):
        updated = Stock.objects.filter(pk=stock_pk, quantity__gte=F("allocated") + units).update(
            allocated=F("allocated") + units
        )
        if not updated:  # impossible while the rows are locked; the database would refuse too
            raise ConflictError("Stock changed during allocation; try again.")
        before = next(row.allocated for row in stocks if row.pk == stock_pk)
        _audit_stock(Stock(pk=stock_pk), "stock_allocate",
                     {"allocated": [before, before + units]}, actor)  # fmt: skip
    Allocation.objects.bulk_create(plan)
    return []


def allocations_release(allocations, *, actor=None) -> None:
    """Give the units of these allocations back (an order cancelled before fulfilment)."""
    for allocation in sorted(allocations, key=lambda a: a.stock_id):
        Stock.objects.filter(pk=allocation.stock_id, allocated__gte=allocation.quantity).update(
            allocated=F("allocated") - allocation.quantity
        )
        _audit_stock(Stock(pk=allocation.stock_id), "stock_release",
                     {"allocated": [allocation.quantity, 0]}, actor)  # fmt: skip
        allocation.delete()


def allocations_fulfil(allocations, units_by_line: dict[int, int], *, order, actor=None) -> None:
    """Take `units_by_line` (line id → units) out of stock from the lines' allocations: the
    units leave both on hand and allocated, a sale movement each."""
    left = dict(units_by_line)
    for allocation in sorted(allocations, key=lambda a: a.stock_id):
        units = min(left.get(allocation.line_id, 0), allocation.quantity)
        if not units:
            continue
        left[allocation.line_id] -= units
        moved = Stock.objects.filter(
            pk=allocation.stock_id, allocated__gte=units, quantity__gte=units
        ).update(quantity=F("quantity") - units, allocated=F("allocated") - units)
        if not moved:
            raise ConflictError(f"Stock of {allocation.line.sku} no longer covers the order.")
        _audit_stock(allocation.stock, "stock_sale", {"quantity": [units, 0]}, actor)
        movement = StockMovement.objects.create(
            variant_id=allocation.line.variant_id, warehouse_id=allocation.stock.warehouse_id,
            kind=MovementKind.SALE, quantity=-units, order=order,
            actor=resolve_actor(actor).name[:150],
        )  # fmt: skip
        audit_created(movement, actor=actor)
        if units == allocation.quantity:
            allocation.delete()
        else:
            Allocation.objects.filter(pk=allocation.pk).update(quantity=F("quantity") - units)
