"""The marketplace: vendors, their fulfilments, their commission ledger and payouts
(plan feature `commerce.vendor_portal`, after django-oscar's partners).

- A vendor is a tenant user with the Vendor role (granted when the vendor is made), opening
  the vendor portal (area `commerce.vendor`); they see only their own products, stock, order
  lines, fulfilments, ledger and payouts (oscar #2240).
- At checkout an order's lines are grouped per vendor (the shop's own lines are one group):
  one fulfilment each, with its own status; the order's status follows from its fulfilments.
- A line's accrual is written when its order becomes paid (never for an order that is not:
  the transition to paid is the one place that calls `commissions_accrue`), once per line
  (a unique constraint). A refund reverses the refunded share of the lines it concerns: the
  lines returned, or all lines pro rata for a refund without a return or a cancellation.
- A payout batch pays every active vendor whose unpaid entries add up to more than zero;
  each entry is settled by one payout only (row locks, `payout` set once).
"""

import csv
import io
from collections import defaultdict
from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Sum
from django.utils import timezone

from apps.commerce.constants import (
    MAX_PAYOUT_ROWS,
    VENDOR_AREA,
    VENDOR_ROLE,
    FulfilmentStatus,
    LedgerKind,
)
from apps.commerce.models import (
    CommissionEntry,
    Fulfilment,
    Order,
    OrderLine,
    Payout,
    PayoutBatch,
    Vendor,
)
from apps.core.audit import audit_created, audit_record, audit_updated, resolve_actor
from apps.core.exceptions import ConflictError
from apps.core.kit.csvimport import spreadsheet_safe
from apps.core.money import ZERO, money
from apps.identity import services as identity
from apps.identity.models import Role, User

F = FulfilmentStatus

# --- vendors ---------------------------------------------------------------------------------


def vendor_role() -> Role:
    """The Vendor role (the vendor portal and the shop), made the first time it is needed."""
    role, created = Role.objects.get_or_create(
        name=VENDOR_ROLE,
        defaults={"description": "Sells in the shop: their own products, stock and orders.",
                  "areas": [VENDOR_AREA, "commerce.shop"], "is_default": True},
    )  # fmt: skip
    if created:
        audit_created(role)
    return role


def vendor_of(user) -> Vendor | None:
    """The active vendor a signed-in user is, if any."""
    if user is None or not user.is_authenticated:
        return None
    return Vendor.objects.filter(user=user, is_active=True).first()


@transaction.atomic
def vendor_create(*, user: User, code: str, name: str, commission_rate, is_active: bool = True,
                  actor=None) -> Vendor:  # fmt: skip
    """Make `user` a vendor (and give them the Vendor role)."""
    if Vendor.objects.filter(user=user).exists():
        raise ValidationError({"user": f"{user.get_username()} is a vendor already."})
    vendor = Vendor(user=user, code=code, name=name, commission_rate=commission_rate,
                    is_active=is_active)  # fmt: skip
    vendor.full_clean()
    vendor.save()
    identity.role_grant(user=user, role=vendor_role(), granted_by=resolve_actor(actor).name)
    audit_created(vendor, actor=actor)
    return vendor


@transaction.atomic
def vendor_update(*, vendor: Vendor, actor=None, **data) -> Vendor:
    """Change a vendor's name, code, commission rate or standing (the user stays theirs; a new
    rate applies to lines paid from now on)."""
    data.pop("user", None)
    before = {field: getattr(vendor, field) for field in data}
    for field, value in data.items():
        setattr(vendor, field, value)
    vendor.full_clean()
    vendor.save()
    audit_updated(vendor, before, actor=actor)
    return vendor


@transaction.atomic
def vendor_delete(*, vendor: Vendor, actor=None) -> None:
    """A vendor who has sold (products, a ledger) is deactivated, not deleted (409)."""
    if vendor.products.exists() or vendor.ledger.exists() or vendor.fulfilments.exists():
        raise ConflictError(f"{vendor.name} has products or sales: deactivate them instead.")
    audit_record(action="delete", instance=vendor, object_repr=str(vendor), actor=actor,
                 changes={"name": [vendor.name, None]})  # fmt: skip
    vendor.delete()


# --- fulfilments -----------------------------------------------------------------------------


def fulfilments_create(order: Order, lines: list[OrderLine]) -> list[Fulfilment]:
    """At checkout: one fulfilment per vendor of the order's lines (and one for the shop's own
    lines), each line (not saved yet: it is inserted with it) tied to its own, whose vendor
    is its product's (loaded with it)."""
    by_vendor: dict[int | None, list[OrderLine]] = defaultdict(list)
    vendor_of_id = {}
    for line in lines:
        product = line.variant.product
        by_vendor[product.vendor_id].append(line)
        vendor_of_id[product.vendor_id] = product.vendor if product.vendor_id else None
    made = Fulfilment.objects.bulk_create(
        [Fulfilment(order=order, vendor=vendor_of_id[vendor_id]) for vendor_id in by_vendor]
    )
    for fulfilment in made:
        for line in by_vendor[fulfilment.vendor_id]:
            line.fulfilment = fulfilment
    return made


def fulfilments_follow(order: Order, to: str, tracking: str = "") -> None:
    """The order moved (back office): its fulfilments follow. Fulfilled: those whose lines
    are all fulfilled; shipped, delivered, cancelled: all that are not yet."""
    pending = Fulfilment.objects.filter(order=order).exclude(status__in=[F.CANCELLED, to])
    if to == F.FULFILLED:
        waiting = pending.filter(status=F.PENDING).prefetch_related("lines")
        done = [
            fulfilment.pk for fulfilment in waiting
            if all(line.quantity_fulfilled == line.quantity for line in fulfilment.lines.all())
        ]  # fmt: skip
        Fulfilment.objects.filter(pk__in=done).update(status=F.FULFILLED)
    elif to in (F.SHIPPED, F.DELIVERED, F.CANCELLED):
        fields = {"status": to, **({"tracking": tracking[:100]} if tracking else {})}
        pending.update(**fields)


# --- commissions -----------------------------------------------------------------------------


def commissions_accrue(order: Order, *, lines=None, actor=None) -> list[CommissionEntry]:
    """The order became paid: an accrual for each of its vendors' lines (once per line: the
    unique constraint). `lines`: the order's lines with their fulfilments and vendors, when
    the caller has them (checkout), else read."""
    if lines is None:
        lines = (OrderLine.objects.filter(order=order, fulfilment__vendor__isnull=False)
                 .exclude(commissions__kind=LedgerKind.ACCRUAL)
                 .select_related("fulfilment__vendor"))  # fmt: skip
    else:
        lines = [line for line in lines if line.fulfilment and line.fulfilment.vendor_id]
    entries = []
    for line in lines:
        vendor = line.fulfilment.vendor
        commission = money(line.total * vendor.commission_rate / 100)
        entries.append(CommissionEntry(
            vendor=vendor, line=line, kind=LedgerKind.ACCRUAL, sales=line.total,
            rate=vendor.commission_rate, commission=commission,
            earnings=line.total - commission, note=f"{order.number}: {line.quantity} × {line.sku}",
        ))  # fmt: skip
    if not entries:
        return []
    made = CommissionEntry.objects.bulk_create(entries, ignore_conflicts=True)
    if made:
        audit_record(action="commission_accrue", instance=order, object_repr=order.number,
                     changes={"accrued": [None, str(sum((e.earnings for e in made), ZERO))]},
                     actor=actor)  # fmt: skip
    return made


def commissions_reverse(order: Order, shares: dict[int, Decimal], *, note: str = "",
                        actor=None) -> list[CommissionEntry]:  # fmt: skip
    """A refund: reverse `shares` (line id → the fraction of the line's accrual refunded, 0-1)
    of the vendors' accruals, never more than is left of each (nothing reversed twice)."""
    if not shares:
        return []
    rows = (CommissionEntry.objects.filter(line__order=order, line_id__in=list(shares))
            .values("line_id", "vendor_id", "kind", "rate")
            .annotate(sales=Sum("sales"), commission=Sum("commission")))  # fmt: skip
    accrued: dict[int, dict] = {}
    left: dict[int, dict] = defaultdict(lambda: {"sales": ZERO, "commission": ZERO})
    for row in rows:
        if row["kind"] == LedgerKind.ACCRUAL:
            accrued[row["line_id"]] = row
        left[row["line_id"]]["sales"] += row["sales"]
        left[row["line_id"]]["commission"] += row["commission"]
    entries = []
    for line_id, share in sorted(shares.items()):
        row = accrued.get(line_id)
        if row is None or share <= 0:
            continue
        share = min(Decimal(share), Decimal(1))
        sales = min(money(row["sales"] * share), left[line_id]["sales"])
        commission = min(money(row["commission"] * share), left[line_id]["commission"])
        if sales <= 0:
            continue
        entries.append(CommissionEntry(
            vendor_id=row["vendor_id"], line_id=line_id, kind=LedgerKind.REVERSAL, sales=-sales,
            rate=row["rate"], commission=-commission, earnings=-(sales - commission),
            note=(note or f"Refund on {order.number}")[:200],
        ))  # fmt: skip
    made = CommissionEntry.objects.bulk_create(entries)
    if made:
        audit_record(action="commission_reverse", instance=order, object_repr=order.number,
                     changes={"reversed": [None, str(sum((e.earnings for e in made), ZERO))]},
                     actor=actor)  # fmt: skip
    return made


def shares_pro_rata(order: Order, amount: Decimal) -> dict[int, Decimal]:
    """A refund without a return: every line's share is the refund's share of the order."""
    if not order.total:
        return {}
    share = min(Decimal(amount) / order.total, Decimal(1))
    return {pk: share for pk in order.lines.values_list("pk", flat=True)}


def vendor_balance(vendor: Vendor) -> Decimal:
    """What the shop owes the vendor now: their entries not yet paid out."""
    total = vendor.ledger.filter(payout__isnull=True).aggregate(total=Sum("earnings"))["total"]
    return money(total or ZERO)


# --- payouts ---------------------------------------------------------------------------------


def _batch_reference() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM commerce_payoutbatch")
        (count,) = cursor.fetchone()
    return f"PB-{timezone.localdate():%Y%m%d}-{count + 1:04d}"


@transaction.atomic
def payout_batch_create(*, until: date | None = None, actor=None) -> PayoutBatch:
    """Pay every active vendor what their unpaid entries up to `until` (default today; never
    a day to come) add up to; a vendor whose balance is zero or less waits for the next batch.
    Two batches at once: the second waits on the first's lock and finds those entries paid.
    Nothing owed is a CONFLICT and writes nothing."""
    # the lock serialises batches: the reference and the entries each pays are the batch's own
    today = timezone.localdate()
    until = until or today
    if until > today:
        raise ValidationError({"until": "A payout pays what is owed up to today at the latest."})
    connection.cursor().execute("LOCK TABLE commerce_payoutbatch IN EXCLUSIVE MODE")
    unpaid = list(
        CommissionEntry.objects.select_for_update(of=("self",))
        .filter(payout__isnull=True, vendor__is_active=True, created_at__date__lte=until)
        .order_by("pk").values_list("pk", "vendor_id", "earnings")
    )  # fmt: skip
    owed: dict[int, list] = defaultdict(list)
    for pk, vendor_id, earnings in unpaid:
        owed[vendor_id].append((pk, earnings))
    due = {vendor_id: rows for vendor_id, rows in owed.items()
           if sum((e for _, e in rows), ZERO) > 0}  # fmt: skip
    if not due:
        raise ConflictError("No vendor is owed anything: there is nothing to pay out.")
    total = sum((e for rows in due.values() for _, e in rows), ZERO)
    batch = PayoutBatch.objects.create(reference=_batch_reference(), until=until, total=total,
                                       actor=resolve_actor(actor).name[:150])  # fmt: skip
    for vendor_id, rows in sorted(due.items()):
        payout = Payout.objects.create(batch=batch, vendor_id=vendor_id,
                                       amount=sum((e for _, e in rows), ZERO),
                                       entries_count=len(rows))  # fmt: skip
        CommissionEntry.objects.filter(pk__in=[pk for pk, _ in rows]).update(payout=payout)
        audit_created(payout, actor=actor)
    audit_created(batch, actor=actor)
    return batch


@transaction.atomic
def payout_mark_paid(*, payout: Payout, actor=None) -> Payout:
    """The money of a payout was sent (the bank run of its batch's CSV): it is marked paid,
    once (a payout marked paid already is a CONFLICT and changes nothing)."""
    locked = Payout.objects.select_for_update().select_related("vendor").get(pk=payout.pk)
    if locked.paid_at is not None:
        raise ConflictError(
            f"The payout to {locked.vendor.name} was marked paid on {locked.paid_at:%d %b %Y}."
        )
    before = {"paid_at": None, "paid_by": ""}
    locked.paid_at, locked.paid_by = timezone.now(), resolve_actor(actor).name[:150]
    Payout.objects.filter(pk=locked.pk).update(paid_at=locked.paid_at, paid_by=locked.paid_by)
    audit_updated(locked, before, actor=actor, action="mark_paid")
    payout.paid_at, payout.paid_by = locked.paid_at, locked.paid_by
    return locked


CSV_COLUMNS = ("batch", "vendor_code", "vendor_name", "email", "amount", "currency", "entries")


def payout_batch_csv(batch: PayoutBatch, currency: str) -> str:
    """The batch as CSV, one row per vendor paid (for the bank or the accounts)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for payout in batch.payouts.select_related("vendor__user").order_by("vendor__code")[
        :MAX_PAYOUT_ROWS
    ]:
        writer.writerow([batch.reference, payout.vendor.code,
                         spreadsheet_safe(payout.vendor.name),
                         spreadsheet_safe(payout.vendor.user.email), f"{payout.amount:.2f}",
                         currency, payout.entries_count])  # fmt: skip
    return out.getvalue()
