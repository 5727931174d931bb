"""Outages: a device down (and nothing it hangs off down) is an outage of every service behind
it, the services of the CPEs on it and on whatever hangs off it ("37 subscribers affected").
Opening one opens a support ticket (`_open_ticket`, the one place), tells the staff (the
monitoring settings' addresses) and, when it ends, may credit each affected service for the
outage's length through the billing engine (a credit note per service, once: a constraint).

One open outage per device is the database's rule, so two workers deciding at once open one."""

import datetime
import logging
from decimal import Decimal

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.core.audit import UPDATE, audit_created, audit_record
from apps.core.kit.writes import record_update
from apps.core.money import ZERO, money
from apps.isp.models import (
    Device,
    LineKind,
    MonitoringSettings,
    Outage,
    OutageCredit,
    OutageEvent,
    OutageService,
    Service,
    Ticket,
)
from apps.isp.services.billing import LineDraft, credit_note_create
from apps.isp.services.proration import period_containing, service_price
from apps.isp.services.support import ticket_open

__all__ = [
    "affected_services",
    "credits_catch_up",
    "devices_behind",
    "outage_credit",
    "outage_open",
    "outage_resolve",
]

log = logging.getLogger(__name__)
#: Services of these states are hit by an outage (and credited).
LIVE = (Service.Status.ACTIVE, Service.Status.SUSPENDED)
#: Resolved outages whose credits are retried (a worker lost between resolving and crediting).
CATCH_UP = datetime.timedelta(days=2)
MAX_DEVICES_BEHIND = 100_000


def _config() -> MonitoringSettings:
    return MonitoringSettings.objects.get_or_create(pk=1)[0]


def devices_behind(device: Device) -> list[int]:
    """The device and every device hanging off it, at any depth (bounded)."""
    children: dict[int, list[int]] = {}
    for pk, parent in Device.objects.filter(parent__isnull=False).values_list("pk", "parent_id"):
        children.setdefault(parent, []).append(pk)
    found, todo = [device.pk], [device.pk]
    seen = {device.pk}
    while todo and len(found) < MAX_DEVICES_BEHIND:
        for child in children.get(todo.pop(), []):
            if child not in seen:
                seen.add(child)
                found.append(child)
                todo.append(child)
    return found


def affected_services(device: Device):
    """The live services served by the CPEs on the device or behind it."""
    return (
        Service.objects.filter(devices__in=devices_behind(device), status__in=LIVE)
        .distinct()
        .order_by("pk")
    )


def _event(outage: Outage, kind: str, message: str) -> OutageEvent:
    return OutageEvent.objects.create(outage=outage, kind=kind, message=message[:300])


def _open_ticket(outage: Outage) -> None:
    """THE place where an outage opens its support ticket, exactly once per outage (inside the
    transaction that opened it): linked to the device, the affected count in its text, urgent
    when subscribers are cut off, timed by the SLA policy of that priority. Its number is kept
    in `outage.ticket_reference` and on the outage's timeline."""
    device = outage.device
    ticket = ticket_open(
        subject=f"Outage: {device.name} down, {outage.subscribers_affected} subscribers affected",
        description=(
            f"{device.name} ({device.get_role_display()}) stopped answering probes at "
            f"{outage.started_at:%d %b %Y %H:%M} UTC. {outage.services_affected} services of "
            f"{outage.subscribers_affected} subscribers are behind it."
        ),
        device=device, category=Ticket.Category.OUTAGE, source=Ticket.Source.OUTAGE,
        priority=Ticket.Priority.URGENT if outage.subscribers_affected else Ticket.Priority.HIGH,
        actor="monitoring",
    )  # fmt: skip
    outage.ticket_reference = ticket.number
    outage.save(update_fields=["ticket_reference"])
    _event(outage, OutageEvent.Kind.TICKET, f"Ticket {ticket.number} opened")


def _notify(outage: Outage, subject: str, body: str) -> None:
    recipients = _config().notify_list
    if not recipients:
        return
    _event(outage, OutageEvent.Kind.NOTIFIED, f"{subject} — sent to {', '.join(recipients)}")
    transaction.on_commit(
        lambda: send_mail(
            subject, body, settings.DEFAULT_FROM_EMAIL, recipients, fail_silently=True
        )  # fmt: skip
    )


@transaction.atomic
def outage_open(*, device: Device, started_at: datetime.datetime) -> Outage | None:
    """Open the device's outage with the services behind it; None if one is open already."""
    try:
        with transaction.atomic():
            outage = Outage.objects.create(device=device, started_at=started_at)
    except IntegrityError:
        return None
    services = list(affected_services(device).values_list("pk", "customer_id"))
    OutageService.objects.bulk_create(
        [OutageService(outage=outage, service_id=pk) for pk, _ in services]
    )
    outage.services_affected = len(services)
    outage.subscribers_affected = len({customer for _, customer in services})
    outage.save(update_fields=["services_affected", "subscribers_affected"])
    audit_created(outage, actor="monitoring")
    summary = (
        f"{device.name} down since {started_at:%d %b %Y %H:%M} UTC: "
        f"{outage.services_affected} services, {outage.subscribers_affected} subscribers affected"
    )
    _event(outage, OutageEvent.Kind.OPENED, summary)
    _open_ticket(outage)
    _notify(outage, f"Outage: {device.name} is down", summary)
    return outage


def _length(outage: Outage) -> datetime.timedelta:
    return (outage.ended_at or timezone.now()) - outage.started_at


def _span(delta: datetime.timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    return f"{minutes // 60} h {minutes % 60:02d} min" if minutes >= 60 else f"{minutes} min"


def outage_resolve(*, outage: Outage, ended_at: datetime.datetime) -> bool:
    """End an open outage (False if it had ended already), then credit it if the tenant
    credits outages."""
    with transaction.atomic():
        locked = Outage.objects.select_for_update().get(pk=outage.pk)
        if locked.ended_at is not None:
            return False
        record_update(locked, {"ended_at": ended_at}, actor="monitoring")
        message = f"{locked.device.name} up again after {_span(_length(locked))}"
        _event(locked, OutageEvent.Kind.RESOLVED, message)
        _notify(locked, f"Resolved: {locked.device.name} is up", message)
    outage.ended_at = ended_at
    outage_credit(outage=locked)
    return True


def _credit_amount(service: Service, length: datetime.timedelta, day: datetime.date) -> Decimal:
    """The service's price for the outage's length: its effective price per period × the
    outage's share of the billing period it fell in (at most one period's price)."""
    months = service.plan.period_months
    anchor = day.replace(day=service.customer.billing_day)
    start, end = period_containing(day, anchor=anchor, months=months)
    period = datetime.timedelta(days=(end - start).days + 1)
    price = service_price(service)
    return min(price, money(price * Decimal(length / period)))


def outage_credit(*, outage: Outage) -> int:
    """Credit every affected service once for a resolved outage's length (a credit note each),
    when the tenant's setting says so and the outage lasted long enough. Answers how many
    services were credited now."""
    config = _config()
    length = _length(outage)
    if (
        outage.ended_at is None
        or not config.credit_outages
        or length < datetime.timedelta(minutes=config.credit_minimum_minutes)
    ):
        return 0
    credited, total = 0, ZERO
    done = set(OutageCredit.objects.filter(outage=outage).values_list("service_id", flat=True))
    services = (
        Service.objects.filter(pk__in=outage.affected.values("service_id"), status__in=LIVE)
        .exclude(pk__in=done)
        .select_related("plan", "customer")
        .order_by("pk")
    )
    day = timezone.localdate(outage.started_at)
    for service in services:
        amount = _credit_amount(service, length, day)
        if amount <= 0:
            continue
        try:
            with transaction.atomic():
                note = credit_note_create(
                    customer=service.customer,
                    lines=[LineDraft(
                        kind=LineKind.ADJUSTMENT, amount=amount, tax_rate=None, service=service,
                        description=f"Outage of {outage.device.name}, "
                        f"{outage.started_at:%d %b %Y %H:%M} UTC, {_span(length)}",
                    )],
                    reason=f"Service outage ({_span(length)})",
                    actor="monitoring",
                )  # fmt: skip
                OutageCredit.objects.create(outage=outage, service=service, credit_note=note)
        except IntegrityError:  # credited meanwhile by another worker: its note stands alone
            continue
        credited += 1
        total += note.total
    with transaction.atomic():
        if credited:
            _event(outage, OutageEvent.Kind.CREDITED,
                   f"{credited} services credited, {total} in total")  # fmt: skip
        now = timezone.now()
        if Outage.objects.filter(pk=outage.pk, credited_at__isnull=True).update(credited_at=now):
            audit_record(action=UPDATE, instance=outage, changes={"credited_at": [None, str(now)]},
                         actor="monitoring")  # fmt: skip
    return credited


def credits_catch_up() -> int:
    """Credit recently resolved outages a lost worker left uncredited."""
    if not _config().credit_outages:
        return 0
    recent = Outage.objects.filter(
        ended_at__isnull=False, credited_at__isnull=True, ended_at__gte=timezone.now() - CATCH_UP
    ).select_related("device")
    return sum(outage_credit(outage=outage) for outage in recent.order_by("pk"))
