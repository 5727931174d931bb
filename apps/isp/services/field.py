"""Work orders: scheduled by staff (the dispatcher board), worked by technicians (the
technician app). A job goes scheduled → en route → on site → completed | failed (a failure
needs its reason; a scheduled job may be cancelled); any other move is a CONFLICT and writes
nothing. Each change may carry the client's idempotency key: the same key again answers the
job as it is, without applying the change twice (a phone on a flaky connection replays its
queue). Completing an installation activates its service (billing and RADIUS follow:
services/subscriptions.py); the CPEs a job used become its service's."""

import base64
import binascii
import datetime

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from apps.core.context import actor_var
from apps.core.exceptions import ConflictError
from apps.core.kit.writes import record_create, record_update
from apps.core.uploads import file_save, upload_check
from apps.identity.access import can_open
from apps.isp.constants import TECH_AREA
from apps.isp.models import (
    ChecklistItem,
    Customer,
    Device,
    Service,
    Ticket,
    WorkOrder,
    WorkOrderEvent,
    WorkOrderFile,
    WorkOrderPart,
)
from apps.isp.services import inventory, subscriptions

__all__ = [
    "checklist_tick",
    "part_add",
    "work_order_create",
    "work_order_file_add",
    "work_order_note",
    "work_order_schedule",
    "work_order_signature_add",
    "work_order_transition",
]

W = WorkOrder.Status
#: The moves a job may make.
TRANSITIONS = {
    W.SCHEDULED: {W.EN_ROUTE, W.FAILED, W.CANCELLED},
    W.EN_ROUTE: {W.ON_SITE, W.FAILED},
    W.ON_SITE: {W.COMPLETED, W.FAILED},
}
MAX_SLOT = datetime.timedelta(hours=12)
SCHEDULE_AHEAD = datetime.timedelta(days=366)
CHECKLIST_MAX = 50
PHOTO_MAX_BYTES = 10 * 1024 * 1024
SIGNATURE_MAX_BYTES = 512 * 1024
PHOTO_TYPES = {"image/png", "image/jpeg", "image/webp", "image/gif"}
FILES_PER_JOB = 30
IDEMPOTENCY_KEY_MAX = 100
DEFAULT_CHECKLISTS = {
    WorkOrder.Kind.INSTALLATION: ["Mount and power the CPE", "Check the signal",
                                  "Speed test with the customer", "Tidy the cabling"],
    WorkOrder.Kind.REPAIR: ["Diagnose the fault", "Fix or replace", "Confirm service works"],
    WorkOrder.Kind.REMOVAL: ["Collect the equipment", "Confirm with the customer"],
}  # fmt: skip


def _check_technician(user) -> None:
    if user is not None and (not user.is_active or not can_open(user, TECH_AREA)):
        raise ValidationError({"technician": "Jobs go to users with the technician app."})


def _check_slot(start, end) -> None:
    if start is None or end is None:
        raise ValidationError({"slot_start": "A job needs a slot."})
    if end <= start:
        raise ValidationError({"slot_end": "The slot ends after it starts."})
    if end - start > MAX_SLOT:
        raise ValidationError({"slot_end": "A slot is at most 12 hours."})
    now = timezone.now()
    if start > now + SCHEDULE_AHEAD or start < now - SCHEDULE_AHEAD:
        raise ValidationError({"slot_start": "A slot is within a year of today."})


def _check_links(kind, customer, service, ticket) -> None:
    problems = {}
    if service is not None and service.customer_id != customer.pk:
        problems["service"] = "This service is not the customer's."
    if ticket is not None and ticket.customer_id not in (None, customer.pk):
        problems["ticket"] = "This ticket is another customer's."
    if kind == WorkOrder.Kind.INSTALLATION and service is None:
        problems["service"] = "An installation is of a service."
    if problems:
        raise ValidationError(problems)


@transaction.atomic
def work_order_create(
    *,
    kind: str,
    customer: Customer,
    slot_start: datetime.datetime,
    slot_end: datetime.datetime,
    service: Service | None = None,
    ticket: Ticket | None = None,
    technician=None,
    instructions: str = "",
    checklist: list[str] | None = None,
    actor=None,
) -> WorkOrder:
    """Schedule a job; its checklist is the one given, else the kind's default."""
    _check_links(kind, customer, service, ticket)
    _check_slot(slot_start, slot_end)
    _check_technician(technician)
    labels = checklist if checklist is not None else DEFAULT_CHECKLISTS.get(kind, [])
    if len(labels) > CHECKLIST_MAX:
        raise ValidationError({"checklist": f"At most {CHECKLIST_MAX} steps."})
    job = record_create(
        WorkOrder(kind=kind, customer=customer, service=service, ticket=ticket,
                  technician=technician, slot_start=slot_start, slot_end=slot_end,
                  instructions=instructions),
        actor=actor,
    )  # fmt: skip
    ChecklistItem.objects.bulk_create(
        ChecklistItem(work_order=job, position=i, label=label[:200])
        for i, label in enumerate(labels)
    )
    return job


def _locked(job: WorkOrder) -> WorkOrder:
    return WorkOrder.objects.select_for_update().get(pk=job.pk)


def _sync(job: WorkOrder, locked: WorkOrder) -> WorkOrder:
    for f in WorkOrder._meta.concrete_fields:
        setattr(job, f.attname, getattr(locked, f.attname))
    return job


@transaction.atomic
def work_order_schedule(*, work_order: WorkOrder, actor=None, **fields) -> WorkOrder:
    """Reschedule or reassign an open job (the dispatcher board's drag, the API's PATCH)."""
    locked = _locked(work_order)
    if not locked.is_open:
        raise ConflictError(f"A {locked.get_status_display().lower()} job is not rescheduled.")
    allowed = {"slot_start", "slot_end", "technician", "instructions", "ticket"}
    unknown = set(fields) - allowed
    if unknown:
        raise ValidationError({name: "Not changed here." for name in sorted(unknown)})
    start = fields.get("slot_start", locked.slot_start)
    end = fields.get("slot_end", locked.slot_end)
    if "slot_start" in fields and "slot_end" not in fields:
        end = start + (locked.slot_end - locked.slot_start)  # a move keeps the slot's length
        fields["slot_end"] = end
    _check_slot(start, end)
    if "technician" in fields:
        _check_technician(fields["technician"])
    if "ticket" in fields:
        _check_links(locked.kind, locked.customer, locked.service, fields["ticket"])
    record_update(locked, fields, actor=actor)
    return _sync(work_order, locked)


def _actor_name(actor) -> str:
    if actor is not None and getattr(actor, "is_authenticated", False):
        return actor.get_username()
    found = actor_var.get(None)
    return found.name if found else "system"


@transaction.atomic
def work_order_transition(
    *, work_order: WorkOrder, to: str, reason: str = "", idempotency_key: str = "", actor=None
) -> tuple[WorkOrder, bool]:
    """Move the job to `to`; answers the job and whether the change was applied now (False:
    this idempotency key's change was applied before)."""
    if len(idempotency_key) > IDEMPOTENCY_KEY_MAX:
        raise ValidationError({"Idempotency-Key": f"At most {IDEMPOTENCY_KEY_MAX} characters."})
    locked = _locked(work_order)
    if idempotency_key:
        seen = WorkOrderEvent.objects.filter(idempotency_key=idempotency_key).first()
        if seen is not None:
            if seen.work_order_id != locked.pk or seen.to_status != to:
                raise ConflictError("This Idempotency-Key was used for another change.")
            return _sync(work_order, locked), False
    if to not in TRANSITIONS.get(locked.status, set()):
        raise ConflictError(
            f"A {locked.get_status_display().lower()} job cannot become "
            f"{W(to).label.lower() if to in W.values else to}."
        )
    reason = reason.strip()
    changes = {"status": to}
    now = timezone.now()
    if to == W.FAILED:
        if not reason:
            raise ValidationError({"reason": "Say why the job failed."})
        changes["failure_reason"] = reason[:500]
    if to == W.COMPLETED:
        undone = locked.checklist.filter(done=False).values_list("label", flat=True)[:5]
        if undone:
            raise ValidationError({"checklist": f"Still to do: {', '.join(undone)}."})
        changes["completed_at"] = now
        _complete(locked, actor)
    event = WorkOrderEvent(work_order=locked, from_status=locked.status, to_status=to,
                           note=reason[:500], idempotency_key=idempotency_key,
                           actor=_actor_name(actor))  # fmt: skip
    record_update(locked, changes, actor=actor, action="status")
    event.save()
    return _sync(work_order, locked), True


def _complete(job: WorkOrder, actor) -> None:
    service = job.service
    cpes = Device.objects.filter(work_order_parts__work_order=job, role=Device.Role.CPE)
    if job.kind == WorkOrder.Kind.REMOVAL:
        for device in cpes.order_by("pk"):
            inventory.device_update(device=device, service=None, actor=actor)
        return
    if service is None:
        return
    for device in cpes.order_by("pk"):
        if device.service_id != service.pk:
            inventory.device_update(device=device, service=service, actor=actor)
    if job.kind == WorkOrder.Kind.INSTALLATION:
        service.refresh_from_db()
        if service.status == Service.Status.PENDING:
            subscriptions.service_activate(service=service, actor=actor)


def _open_job(job: WorkOrder) -> WorkOrder:
    locked = _locked(job)
    if not locked.is_open:
        raise ConflictError(f"This job is {locked.get_status_display().lower()}.")
    return locked


@transaction.atomic
def checklist_tick(*, item: ChecklistItem, done: bool, actor=None) -> ChecklistItem:
    _open_job(item.work_order)
    record_update(item, {"done": done, "done_at": timezone.now() if done else None}, actor=actor)
    return item


@transaction.atomic
def work_order_note(*, work_order: WorkOrder, text: str, actor=None) -> WorkOrder:
    """Add the technician's note to the job's notes (stamped)."""
    text = text.strip()
    if not text:
        raise ValidationError({"text": "Write something."})
    locked = _open_job(work_order)
    stamp = timezone.localtime().strftime("%d %b %H:%M")
    notes = f"{locked.notes}\n[{stamp} {_actor_name(actor)}] {text}".strip()
    if len(notes) > 20_000:
        raise ValidationError({"text": "The job's notes are full."})
    record_update(locked, {"notes": notes}, actor=actor)
    return _sync(work_order, locked)


@transaction.atomic
def part_add(*, work_order: WorkOrder, device: Device | None = None, description: str = "",
             quantity: int = 1, actor=None) -> WorkOrderPart:  # fmt: skip
    """Record a part used. A CPE from inventory must be free (or already this service's);
    it becomes the service's when the job completes."""
    locked = _open_job(work_order)
    if device is None and not description.strip():
        raise ValidationError({"description": "Name the part or choose a device."})
    if device is not None:
        if device.status == Device.Status.RETIRED:
            raise ValidationError({"device": "This device is retired."})
        if device.service_id not in (None, locked.service_id) and locked.kind != "removal":
            raise ValidationError({"device": "This device serves another service."})
        if locked.parts.filter(device=device).exists():
            raise ValidationError({"device": "This device is already on the job."})
    if not 1 <= quantity <= 1000:
        raise ValidationError({"quantity": "Between 1 and 1000."})
    return record_create(WorkOrderPart(work_order=locked, device=device,
                                       description=description.strip(), quantity=quantity),
                         actor=actor)  # fmt: skip


def _file_add(job: WorkOrder, kind: str, content, content_type: str, actor) -> WorkOrderFile:
    locked = _locked(job)
    if locked.status in (W.FAILED, W.CANCELLED):
        raise ConflictError(f"This job is {locked.get_status_display().lower()}.")
    if locked.files.count() >= FILES_PER_JOB:
        raise ValidationError({"file": f"A job holds at most {FILES_PER_JOB} files."})
    extension = {"image/png": "png", "image/jpeg": "jpg", "image/webp": "webp",
                 "image/gif": "gif"}[content_type]  # fmt: skip
    row = WorkOrderFile(work_order=locked, kind=kind, content_type=content_type,
                        size=content.size, uploaded_by=actor if getattr(
                            actor, "is_authenticated", False) else None)  # fmt: skip
    file_save(row.file, f"{kind}.{extension}", content)
    return record_create(row, actor=actor)


@transaction.atomic
def work_order_file_add(*, work_order: WorkOrder, file: UploadedFile, actor=None):
    """A photo of the job (an image of at most 10 MB), under the tenant's storage prefix."""
    content_type = upload_check(file, max_bytes=PHOTO_MAX_BYTES, types=PHOTO_TYPES)
    return _file_add(work_order, WorkOrderFile.Kind.PHOTO, file, content_type, actor)


@transaction.atomic
def work_order_signature_add(*, work_order: WorkOrder, data_url: str, actor=None):
    """The customer's signature: the canvas's `data:image/png;base64,...` URL."""
    prefix = "data:image/png;base64,"
    if not data_url.startswith(prefix) or len(data_url) > SIGNATURE_MAX_BYTES * 4 // 3 + 100:
        raise ValidationError({"signature": "A PNG data URL of at most 512 KB."})
    try:
        raw = base64.b64decode(data_url[len(prefix) :], validate=True)
    except (binascii.Error, ValueError) as error:
        raise ValidationError({"signature": "Not a valid data URL."}) from error
    if not raw.startswith(b"\x89PNG\r\n\x1a\n"):
        raise ValidationError({"signature": "Not a PNG image."})
    return _file_add(work_order, WorkOrderFile.Kind.SIGNATURE, ContentFile(raw), "image/png",
                     actor)  # fmt: skip
