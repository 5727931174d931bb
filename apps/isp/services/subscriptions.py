"""A service's life: ordered (pending), activated, suspended and restored, moved to another plan,
terminated. Every step that touches money goes through billing.py with the proration rules of
proration.py (read its docstring for the exact rules)."""

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from apps.core.audit import audit_created, audit_updated, resolve_actor, snapshot
from apps.core.dates import check_window
from apps.core.exceptions import ConflictError
from apps.core.kit.writes import record_create, record_update
from apps.core.money import ZERO
from apps.isp.constants import AHEAD, HISTORY
from apps.isp.models import (
    AuthorizationChange,
    CreditNote,
    Customer,
    Invoice,
    LineKind,
    Service,
    ServicePlan,
    ServicePlanChange,
    TimelineEvent,
)
from apps.isp.services import ipam
from apps.isp.services.billing import (
    CREDIT_NOTE_SEQUENCE,
    INVOICE_SEQUENCE,
    LineDraft,
    credit_note_create,
    invoice_create,
    lock_sequences,
)
from apps.isp.services.coa import changes_queue
from apps.isp.services.customers import customer_set_status
from apps.isp.services.proration import (
    ONE_DAY,
    Piece,
    next_stretch,
    prorate,
    service_price,
    stretch_amount,
)
from apps.isp.services.timeline import timeline_record

Change = AuthorizationChange.Reason

#: What may be set on a service when it is ordered.
SERVICE_FIELDS = (
    "install_street",
    "install_city",
    "install_postcode",
    "install_country",
    "price_override",
    "discount_percent",
)


def _locked(service: Service) -> Service:
    return Service.objects.select_for_update().select_related("plan__tax_class").get(pk=service.pk)


def _refresh(service: Service, locked: Service) -> Service:
    """Bring the caller's instance up to date with what the service wrote."""
    for field in Service._meta.concrete_fields:
        setattr(service, field.attname, getattr(locked, field.attname))
    service.plan = locked.plan
    return service


def _note(service: Service, message: str, actor=None, **data) -> None:
    timeline_record(
        customer=service.customer,
        kind=TimelineEvent.Kind.SERVICE,
        message=message,
        data={"service": service.pk, **data},
        actor=actor,
    )


def _span(start: datetime.date, end: datetime.date) -> str:
    return f"{start:%d %b %Y} – {end:%d %b %Y}"


def service_line_description(plan_name: str, start: datetime.date, end: datetime.date) -> str:
    return f"{plan_name}, {_span(start, end)}"


def service_period_line(service: Service, start: datetime.date, end, period) -> LineDraft:
    """The SERVICE line charging `start..end` of `period` (period_start, period_end)."""
    return LineDraft(
        kind=LineKind.SERVICE,
        description=service_line_description(service.plan.name, start, end),
        amount=stretch_amount(service_price(service), start, end, period),
        tax_rate=service.plan.tax_class.rate,
        service=service,
        period_start=start,
        period_end=end,
    )


def due_stretches(
    *,
    start: datetime.date,
    up_to: datetime.date,
    billing_day: int,
    months: int,
    last_day: datetime.date | None = None,
):
    """(start, end, period) of every stretch from `start` that starts on or before `up_to`
    (billed in advance), cut at `last_day` (a termination)."""
    while start <= up_to and (last_day is None or start <= last_day):
        period = next_stretch(start, billing_day=billing_day, months=months)
        end = period[1] if last_day is None else min(period[1], last_day)
        yield start, end, period
        start = end + ONE_DAY


def service_due_lines(
    service: Service, *, billing_day: int, up_to: datetime.date, last_day=None
) -> list[LineDraft]:
    """The SERVICE lines of every stretch not yet billed that starts on or before `up_to`."""
    start = service.billed_until + ONE_DAY if service.billed_until else service.activated_on
    return [
        service_period_line(service, start, end, period)
        for start, end, period in due_stretches(
            start=start,
            up_to=up_to,
            billing_day=billing_day,
            months=service.plan.period_months,
            last_day=last_day,
        )
    ]


@transaction.atomic
def service_create(*, customer: Customer, plan: ServicePlan, actor=None, **fields) -> Service:
    """Order a service (pending: not billed until activated)."""
    unknown = set(fields) - set(SERVICE_FIELDS)
    if unknown:
        raise ValidationError({name: "This field cannot be set here." for name in unknown})
    if plan.status != ServicePlan.Status.ACTIVE:
        raise ValidationError({"plan": f"{plan.name} is retired and no longer sold."})
    if customer.status == Customer.Status.CLOSED:
        raise ConflictError("This account is closed.")
    service = record_create(Service(customer=customer, plan=plan, **fields), actor=actor)
    _note(service, f"{plan.name} ordered", actor)
    return service


@transaction.atomic
def service_update(*, service: Service, actor=None, **fields) -> Service:
    """Edit what may change after the order (SERVICE_FIELDS: the install address, the price);
    the plan moves by `service_change_plan`, the customer never."""
    for name, hint in (("customer", "order a new service"), ("plan", "use change-plan")):
        value = fields.pop(name, None)
        if value is not None and value.pk != getattr(service, f"{name}_id"):
            raise ValidationError({name: f"Cannot be changed here: {hint}."})
    unknown = set(fields) - set(SERVICE_FIELDS)
    if unknown:
        raise ValidationError({name: "This field cannot be set here." for name in unknown})
    record_update(service, fields, actor=actor)
    return service


@transaction.atomic
def service_activate(
    *, service: Service, on: datetime.date | None = None, actor=None
) -> Invoice | None:
    """Switch a pending service on from `on` (default today): invoices the setup fee and the
    rest of the current period (proration.py); the customer becomes active."""
    lock_sequences(INVOICE_SEQUENCE)
    locked = _locked(service)
    if locked.status != Service.Status.PENDING:
        raise ConflictError(
            f"Only a pending service can be activated (this one is {locked.status})."
        )
    check_window(on, "on", before=HISTORY, after=AHEAD, what="The activation date")
    on = on or timezone.localdate()
    customer = locked.customer
    before = snapshot(locked, fields=["status", "activated_on", "billed_until"])
    locked.status, locked.activated_on = Service.Status.ACTIVE, on
    plan = locked.plan
    lines = []
    if plan.setup_fee > 0:
        lines.append(
            LineDraft(
                kind=LineKind.SETUP,
                description=f"Setup: {plan.name}",
                amount=plan.setup_fee,
                tax_rate=plan.tax_class.rate,
                service=locked,
            )
        )
    lines += service_due_lines(locked, billing_day=customer.billing_day, up_to=on)
    invoice = invoice_create(customer=customer, lines=lines, issue_date=on, actor=actor)
    locked.billed_until = lines[-1].period_end
    locked.save(update_fields=["status", "activated_on", "billed_until", "updated_at"])
    audit_updated(locked, before, actor=actor)
    _note(locked, f"{plan.name} activated on {on:%d %b %Y}", actor, invoice=invoice.pk)
    address = ipam.service_static_address_ensure(service=locked, actor=actor)
    if address is not None:
        _note(locked, f"Static IP address {address} assigned", actor, address=str(address))
    if customer.status == Customer.Status.PROSPECT:
        customer_set_status(customer=customer, status=Customer.Status.ACTIVE, actor=actor)
    changes_queue(service=locked, reason=Change.ACTIVATE, actor=actor)
    _refresh(service, locked)
    return invoice


@transaction.atomic
def service_suspend(*, service: Service, actor=None, reason: str = "manual") -> Service:
    """Cut a live service off (it is still billed). reason: manual, or dunning (lifted
    automatically once the balance is paid)."""
    if reason not in Service.SuspensionReason.values:
        raise ValidationError({"reason": f"Unknown suspension reason '{reason}'."})
    locked = _locked(service)
    if locked.status != Service.Status.ACTIVE:
        raise ConflictError(
            f"Only an active service can be suspended (this one is {locked.status})."
        )
    before = snapshot(locked, fields=["status", "suspended_at", "suspension_reason"])
    locked.status = Service.Status.SUSPENDED
    locked.suspended_at, locked.suspension_reason = timezone.now(), reason
    locked.save(update_fields=["status", "suspended_at", "suspension_reason", "updated_at"])
    audit_updated(locked, before, actor=actor)
    label = Service.SuspensionReason(reason).label.lower()
    _note(locked, f"{locked.plan.name} suspended ({label})", actor, reason=reason)
    changes_queue(service=locked, reason=Change.SUSPEND, actor=actor)
    return _refresh(service, locked)


@transaction.atomic
def service_restore(*, service: Service, actor=None) -> Service:
    """Switch a suspended service back on."""
    locked = _locked(service)
    if locked.status != Service.Status.SUSPENDED:
        raise ConflictError(
            f"Only a suspended service can be restored (this one is {locked.status})."
        )
    before = snapshot(locked, fields=["status", "suspended_at", "suspension_reason"])
    locked.status = Service.Status.ACTIVE
    locked.suspended_at, locked.suspension_reason = None, ""
    locked.save(update_fields=["status", "suspended_at", "suspension_reason", "updated_at"])
    audit_updated(locked, before, actor=actor)
    _note(locked, f"{locked.plan.name} restored", actor)
    changes_queue(service=locked, reason=Change.RESTORE, actor=actor)
    return _refresh(service, locked)


def _piece_lines(service: Service, pieces: list[Piece], kind: str, what: str) -> list[LineDraft]:
    """A line per priced piece of a stretch (credits and plan-change charges alike)."""
    return [
        LineDraft(
            kind=kind,
            description=f"{what}: {service.plan.name}, {_span(piece.start, piece.end)}",
            amount=piece.amount,
            tax_rate=service.plan.tax_class.rate,
            service=service,
            period_start=piece.start,
            period_end=piece.end,
        )
        for piece in pieces
        if piece.amount > 0
    ]


def _billed_pieces(service: Service, start: datetime.date) -> list[Piece]:
    """`start..billed_until` at the service's current price, in the periods that were billed."""
    if not service.billed_until or start > service.billed_until:
        return []
    return prorate(
        price=service_price(service),
        start=start,
        end=service.billed_until,
        anchor=service.billed_until + ONE_DAY,
        months=service.plan.period_months,
    )


@transaction.atomic
def service_terminate(
    *, service: Service, on: datetime.date | None = None, actor=None
) -> CreditNote | None:
    """End a service; `on` (default today) is its last day. Days billed after it are credited
    (a credit note); days not yet billed up to it are invoiced."""
    lock_sequences(CREDIT_NOTE_SEQUENCE, INVOICE_SEQUENCE)
    locked = _locked(service)
    if locked.status == Service.Status.TERMINATED:
        raise ConflictError("This service is already terminated.")
    check_window(on, "on", before=HISTORY, after=AHEAD, what="The last day")
    on = on or timezone.localdate()
    if locked.activated_on and on < locked.activated_on:
        raise ValidationError({"on": "A service cannot end before it was activated."})
    customer = locked.customer
    before = snapshot(locked, fields=["status", "terminated_on", "billed_until", "suspended_at"])
    note = None
    if locked.status != Service.Status.PENDING:
        unbilled = service_due_lines(
            locked, billing_day=customer.billing_day, up_to=on, last_day=on
        )
        if unbilled:
            invoice_create(customer=customer, lines=unbilled, actor=actor)
            locked.billed_until = unbilled[-1].period_end
        lines = _piece_lines(
            locked, _billed_pieces(locked, on + ONE_DAY), LineKind.TERMINATION, "Unused"
        )
        if lines:
            note = credit_note_create(
                customer=customer,
                lines=lines,
                reason=f"{locked.plan.name} terminated on {on:%d %b %Y}",
                actor=actor,
            )
        if locked.billed_until and locked.billed_until > on:
            locked.billed_until = on
    locked.status, locked.terminated_on = Service.Status.TERMINATED, on
    locked.suspended_at = None
    locked.save(
        update_fields=["status", "terminated_on", "billed_until", "suspended_at", "updated_at"]
    )
    audit_updated(locked, before, actor=actor)
    _note(locked, f"{locked.plan.name} terminated, last day {on:%d %b %Y}", actor)
    if ipam.service_addresses_quarantine(service=locked, on=on, actor=actor):
        _note(locked, "IP addresses released to quarantine", actor)
    changes_queue(service=locked, reason=Change.TERMINATE, actor=actor)
    _refresh(service, locked)
    return note


@transaction.atomic
def service_change_plan(
    *, service: Service, plan: ServicePlan, on: datetime.date | None = None, actor=None
) -> ServicePlanChange:
    """Move a service to another plan from `on` (default today), upgrade or downgrade alike:
    the old plan's days already billed from `on` are credited (a credit note), the new plan
    charged for the same days (an invoice), both kept on the ServicePlanChange."""
    lock_sequences(CREDIT_NOTE_SEQUENCE, INVOICE_SEQUENCE)
    locked = _locked(service)
    if locked.status == Service.Status.TERMINATED:
        raise ConflictError("A terminated service cannot change plan.")
    if plan.pk == locked.plan_id:
        raise ValidationError({"plan": f"The service is already on {plan.name}."})
    if plan.status != ServicePlan.Status.ACTIVE:
        raise ValidationError({"plan": f"{plan.name} is retired and no longer sold."})
    check_window(on, "on", before=HISTORY, after=AHEAD, what="The plan change's date")
    on = on or timezone.localdate()
    if locked.activated_on and on < locked.activated_on:
        raise ValidationError({"on": "A plan cannot change before the service was activated."})
    customer, old_plan = locked.customer, locked.plan
    credit_pieces = _billed_pieces(locked, on)
    change = ServicePlanChange.objects.create(
        service=locked, from_plan=old_plan, to_plan=plan, effective_on=on, actor=""
    )
    before = snapshot(locked, fields=["plan"])
    credit_lines = _piece_lines(locked, credit_pieces, LineKind.PLAN_CHANGE, "Unused")
    locked.plan = plan
    locked.save(update_fields=["plan", "updated_at"])
    charge_lines = []
    if credit_pieces:
        charge_pieces = prorate(
            price=service_price(locked),
            start=on,
            end=locked.billed_until,
            anchor=locked.billed_until + ONE_DAY,
            months=plan.period_months,
        )
        charge_lines = _piece_lines(locked, charge_pieces, LineKind.PLAN_CHANGE, "Plan change")
    for line in credit_lines + charge_lines:
        line.plan_change = change
    invoice = None
    if charge_lines:
        invoice = invoice_create(customer=customer, lines=charge_lines, actor=actor)
    if credit_lines:
        credit_note_create(
            customer=customer,
            lines=credit_lines,
            invoice=invoice,
            reason=f"Plan change {old_plan.name} → {plan.name} from {on:%d %b %Y}",
            actor=actor,
        )
    change.credited = sum((line.amount for line in credit_lines), ZERO)
    change.charged = sum((line.amount for line in charge_lines), ZERO)
    change.actor = resolve_actor(actor).name[:150]
    change.save(update_fields=["credited", "charged", "actor"])
    audit_created(change, actor=actor)
    audit_updated(locked, before, actor=actor)
    _note(
        locked,
        f"Plan changed {old_plan.name} → {plan.name} from {on:%d %b %Y}",
        actor,
        plan_change=change.pk,
        credited=str(change.credited),
        charged=str(change.charged),
    )
    if on <= timezone.localdate():  # a future-dated change reaches the session on that day's
        changes_queue(service=locked, reason=Change.PLAN_CHANGE, actor=actor)  # reconnection
    _refresh(service, locked)
    return change
