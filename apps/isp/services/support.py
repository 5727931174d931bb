"""Support tickets: opened by staff, by customers in the portal and by outages
(`ticket_open(..., source="outage", device=...)`, the entry point monitoring calls); public
replies and internal notes; assignment to a team or an agent; waiting on the customer (the
SLA clock pauses, services/sla.py); resolve, reopen; merging a duplicate into another ticket;
attachments under the tenant's storage prefix, bounded in size and type. Customers and
assignees are mailed (Django's mail, after the commit)."""

import datetime
from copy import copy

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from apps.core.exceptions import ConflictError
from apps.core.kit.writes import record_create, record_delete, record_update
from apps.core.uploads import file_save, safe_name, upload_check
from apps.identity.access import can_open
from apps.isp.constants import AREA
from apps.isp.models import (
    Customer,
    Device,
    SavedTicketView,
    Service,
    SupportTeam,
    Ticket,
    TicketAttachment,
    TicketReply,
)
from apps.isp.services import sla

__all__ = [
    "attachment_add",
    "saved_view_create",
    "saved_view_delete",
    "team_create",
    "team_update",
    "ticket_assign",
    "ticket_merge",
    "ticket_open",
    "ticket_reopen",
    "ticket_reply",
    "ticket_resolve",
    "ticket_set_status",
    "ticket_update",
]

S = Ticket.Status
OPEN = (S.NEW, S.OPEN, S.WAITING)
#: Attachments: at most this size, of the kit's types (recognised from the content, not the name).
ATTACHMENT_MAX_BYTES = 10 * 1024 * 1024
ATTACHMENTS_PER_TICKET = 50


def _now() -> datetime.datetime:
    return timezone.now()


def _locked(ticket: Ticket) -> Ticket:
    return (
        Ticket.objects.select_for_update(of=("self",))
        .select_related("sla_policy")
        .get(pk=ticket.pk)
    )


def _sync(ticket: Ticket, locked: Ticket) -> Ticket:
    for f in Ticket._meta.concrete_fields:
        setattr(ticket, f.attname, getattr(locked, f.attname))
    return ticket


def _clock(ticket: Ticket, action, now, **fields) -> dict:
    """The clock's fields after `action(ticket, now)` (sla.clock_start/stop/checkpoint), run on
    a copy: the write itself is record_update's, which must see the row as it is."""
    work = copy(ticket)
    for name, value in fields.items():
        setattr(work, name, value)
    action(work, now)
    return {**fields, **{name: getattr(work, name) for name in sla.CLOCK_FIELDS}}


def _name(actor) -> str:
    if actor is None or not getattr(actor, "is_authenticated", False):
        return "System"
    return actor.get_full_name() or actor.get_username()


def _mail(subject: str, body: str, to: list[str]) -> None:
    to = [address for address in to if address]
    if to:
        transaction.on_commit(lambda: send_mail(subject, body, None, to, fail_silently=True))


def _customer_email(ticket: Ticket) -> str:
    return ticket.customer.email if ticket.customer_id else ""


def _staff_emails(ticket: Ticket) -> list[str]:
    emails = []
    if ticket.assignee_id and ticket.assignee.email:
        emails.append(ticket.assignee.email)
    if ticket.team_id and ticket.team.email:
        emails.append(ticket.team.email)
    return emails


def _check_links(customer, service, device) -> None:
    problems = {}
    if service is not None and customer is not None and service.customer_id != customer.pk:
        problems["service"] = "This service is not the customer's."
    serves = device.service if device is not None and device.service_id else None
    if serves is not None and customer is not None and serves.customer_id != customer.pk:
        problems["device"] = "This device serves another customer."
    if problems:
        raise ValidationError(problems)


def _check_agent(user) -> None:
    if user is not None and (not user.is_active or not can_open(user, AREA)):
        raise ValidationError({"assignee": "Tickets are assigned to staff of the ISP app."})


@transaction.atomic
def ticket_open(
    *,
    subject: str,
    description: str = "",
    customer: Customer | None = None,
    service: Service | None = None,
    device: Device | None = None,
    category: str = Ticket.Category.TECHNICAL,
    priority: str = Ticket.Priority.NORMAL,
    source: str = Ticket.Source.STAFF,
    team: SupportTeam | None = None,
    assignee=None,
    actor=None,
) -> Ticket:
    """Open a ticket; with `isp.sla` in the plan, the policy of its priority times it from
    now. The customer is told (by mail) their ticket's number; the assignee or team too."""
    if customer is None and service is not None:
        customer = service.customer
    _check_links(customer, service, device)
    _check_agent(assignee)
    now = _now()
    ticket = Ticket(
        subject=subject, description=description, customer=customer, service=service,
        device=device, category=category, priority=priority, source=source, team=team,
        assignee=assignee, status=S.OPEN if assignee else S.NEW,
        opened_by=actor if getattr(actor, "is_authenticated", False) else None,
        sla_policy=sla.policy_for(priority),
    )  # fmt: skip
    if ticket.sla_policy is not None:
        sla.clock_start(ticket, now)
    record_create(ticket, actor=actor)
    _mail(
        f"[{ticket.number}] We received your request: {subject}",
        f"Your ticket {ticket.number} is open. We will get back to you.",
        [_customer_email(ticket)] if source != Ticket.Source.OUTAGE else [],
    )
    _mail(f"[{ticket.number}] New ticket: {subject}", description[:2000], _staff_emails(ticket))
    return ticket


@transaction.atomic
def ticket_update(*, ticket: Ticket, actor=None, **fields) -> Ticket:
    """Change what the ticket is (subject, category, priority, links). A new priority takes
    the policy of that priority; the clock keeps what it banked."""
    locked = _locked(ticket)
    if not locked.is_open:
        raise ConflictError("Reopen the ticket before changing it.")
    customer = fields.get("customer", locked.customer)
    _check_links(customer, fields.get("service", locked.service),
                 fields.get("device", locked.device))  # fmt: skip
    if "priority" in fields and fields["priority"] != locked.priority:
        policy = sla.policy_for(fields["priority"])
        now = _now()
        running = locked.sla_running_since is not None

        def retime(work, at):
            sla.clock_stop(work, at)
            work.sla_policy = policy
            if policy is not None and running:
                sla.clock_start(work, at)

        fields = {**fields, **_clock(locked, retime, now), "sla_policy": policy}
    record_update(locked, fields, actor=actor)
    return _sync(ticket, locked)


@transaction.atomic
def ticket_reply(
    *,
    ticket: Ticket,
    body: str,
    internal: bool = False,
    from_customer: bool = False,
    status: str | None = None,
    actor=None,
) -> TicketReply:
    """Add a reply (public: the other side is mailed) or an internal note. The first public
    staff reply is the first response; a staff reply may put the ticket on `waiting` (the
    clock pauses); a customer's reply takes it off waiting, and reopens a resolved one."""
    if not body.strip():
        raise ValidationError({"body": "Write something."})
    if from_customer and (internal or status):
        raise ValidationError({"internal": "A customer writes public replies only."})
    locked = _locked(ticket)
    if locked.status == S.CLOSED:
        raise ConflictError("This ticket is closed; open a new one.")
    now = _now()
    reply = record_create(
        TicketReply(ticket=locked, author=actor if getattr(actor, "is_authenticated", False)
                    else None, author_name=_name(actor), from_customer=from_customer,
                    internal=internal, body=body),
        actor=actor,
    )  # fmt: skip
    changes = {}
    if from_customer:
        if locked.status in (S.WAITING, S.RESOLVED):
            changes = _resume(locked, now, resolved=locked.status == S.RESOLVED)
        _mail(f"[{locked.number}] Customer replied: {locked.subject}", body[:2000],
              _staff_emails(locked))  # fmt: skip
    elif not internal:
        if locked.first_responded_at is None:
            changes["first_responded_at"] = now
            changes["first_response_due_at"] = None  # met: nothing is due any more
        if locked.status == S.NEW:
            changes["status"] = S.OPEN
        _mail(f"[{locked.number}] {locked.subject}", body[:5000], [_customer_email(locked)])
    if status is not None:
        record_update(locked, changes, actor=actor)
        _status(locked, status, now, actor)
    elif changes:
        record_update(locked, changes, actor=actor)
    _sync(ticket, locked)
    return reply


def _paused(ticket: Ticket, now) -> int:
    """The wall-clock time waited on the customer, this pause included."""
    if ticket.status == S.WAITING and ticket.paused_at is not None:
        return ticket.sla_paused_seconds + int((now - ticket.paused_at).total_seconds())
    return ticket.sla_paused_seconds


def _resume(ticket: Ticket, now, *, resolved: bool = False) -> dict:
    changes = {"status": S.OPEN, "paused_at": None, "sla_paused_seconds": _paused(ticket, now)}
    if ticket.sla_policy_id:
        changes.update(_clock(ticket, sla.clock_start, now))
    if resolved:
        changes["resolved_at"] = None
    return changes


def _status(ticket: Ticket, status: str, now, actor) -> None:
    if status not in (S.OPEN, S.WAITING):
        raise ValidationError({"status": "A ticket is set to open or waiting here."})
    if ticket.status not in OPEN:
        raise ConflictError(f"A {ticket.get_status_display().lower()} ticket is reopened first.")
    if status == ticket.status:
        return
    if status == S.WAITING:
        changes = {**_clock(ticket, sla.clock_stop, now), "status": S.WAITING, "paused_at": now}
    else:
        changes = _resume(ticket, now)
    record_update(ticket, changes, actor=actor)


@transaction.atomic
def ticket_set_status(*, ticket: Ticket, status: str, actor=None) -> Ticket:
    """Put a ticket on waiting on the customer (the SLA clock pauses, banking what ran) or
    take it off (the clock runs on from the bank)."""
    locked = _locked(ticket)
    _status(locked, status, _now(), actor)
    return _sync(ticket, locked)


@transaction.atomic
def ticket_assign(*, ticket: Ticket, team: SupportTeam | None = None, assignee=None,
                  actor=None) -> Ticket:  # fmt: skip
    """Hand the ticket to a team and/or an agent (who is mailed)."""
    locked = _locked(ticket)
    if not locked.is_open:
        raise ConflictError("Only an open ticket is assigned.")
    _check_agent(assignee)
    changes = {"team": team, "assignee": assignee}
    if locked.status == S.NEW and assignee is not None:
        changes["status"] = S.OPEN
    record_update(locked, changes, actor=actor, action="assign")
    _mail(f"[{locked.number}] Assigned to you: {locked.subject}", locked.description[:2000],
          _staff_emails(locked))  # fmt: skip
    return _sync(ticket, locked)


@transaction.atomic
def ticket_resolve(*, ticket: Ticket, note: str = "", actor=None) -> Ticket:
    """Resolve: the clock stops (what it banked is kept for a reopen); the customer is told."""
    locked = _locked(ticket)
    if not locked.is_open:
        raise ConflictError(f"This ticket is already {locked.get_status_display().lower()}.")
    now = _now()
    if note.strip():
        ticket_reply(ticket=locked, body=note, actor=actor)
        locked = _locked(ticket)
    changes = {**_clock(locked, sla.clock_stop, now), "status": S.RESOLVED, "resolved_at": now,
               "paused_at": None, "sla_paused_seconds": _paused(locked, now)}  # fmt: skip
    record_update(locked, changes, actor=actor, action="resolve")
    _mail(f"[{locked.number}] Resolved: {locked.subject}",
          "We have resolved your ticket. Reply to reopen it.",
          [_customer_email(locked)])  # fmt: skip
    return _sync(ticket, locked)


@transaction.atomic
def ticket_reopen(*, ticket: Ticket, actor=None) -> Ticket:
    """Reopen a resolved or closed ticket (not a merged one): the clock runs on from the bank."""
    locked = _locked(ticket)
    if locked.merged_into_id:
        raise ConflictError(f"This ticket was merged into #{locked.merged_into_id}.")
    if locked.is_open:
        raise ConflictError("This ticket is open.")
    changes = _resume(locked, _now(), resolved=True)
    record_update(locked, changes, actor=actor, action="reopen")
    return _sync(ticket, locked)


@transaction.atomic
def ticket_merge(*, ticket: Ticket, into: Ticket, actor=None) -> Ticket:
    """Merge a duplicate into another ticket: its replies and attachments move there, it is
    closed pointing at it, and its clock stops."""
    if ticket.pk == into.pk:
        raise ValidationError({"into": "A ticket is not merged into itself."})
    first, second = sorted([ticket.pk, into.pk])
    locked = Ticket.objects.select_for_update().filter(pk__in=[first, second]).order_by("pk")
    rows = {row.pk: row for row in locked}
    duplicate, target = rows[ticket.pk], rows[into.pk]
    if duplicate.merged_into_id or not duplicate.is_open:
        raise ConflictError("Only an open ticket is merged.")
    if target.merged_into_id or not target.is_open:
        raise ConflictError(f"#{target.pk} is not open; merge into an open ticket.")
    if duplicate.customer_id and target.customer_id and duplicate.customer_id != target.customer_id:
        raise ValidationError({"into": "The tickets are of different customers."})
    duplicate.replies.update(ticket=target)
    duplicate.attachments.update(ticket=target)
    TicketReply.objects.create(ticket=target, author_name=_name(actor), internal=True,
                               body=f"Merged #{duplicate.pk} ({duplicate.subject}) into this "
                               "ticket.")  # fmt: skip
    changes = {**_clock(duplicate, sla.clock_stop, _now()), "status": S.CLOSED,
               "merged_into": target, "paused_at": None}  # fmt: skip
    record_update(duplicate, changes, actor=actor, action="merge")
    return _sync(ticket, duplicate)


@transaction.atomic
def attachment_add(*, ticket: Ticket, file: UploadedFile, internal: bool = False,
                   reply: TicketReply | None = None, actor=None) -> TicketAttachment:  # fmt: skip
    """Attach a file (at most 10 MB; images, PDF or plain text), under the tenant's prefix."""
    content_type = upload_check(file, max_bytes=ATTACHMENT_MAX_BYTES)
    locked = _locked(ticket)
    if locked.status == S.CLOSED:
        raise ConflictError("This ticket is closed.")
    if locked.attachments.count() >= ATTACHMENTS_PER_TICKET:
        raise ValidationError({"file": f"A ticket holds at most {ATTACHMENTS_PER_TICKET} files."})
    name = safe_name(file.name or "file")
    attachment = TicketAttachment(
        ticket=locked, reply=reply, name=name, content_type=content_type, size=file.size,
        internal=internal, uploaded_by=actor if getattr(actor, "is_authenticated", False)
        else None,
    )  # fmt: skip
    file_save(attachment.file, name, file)
    return record_create(attachment, actor=actor)


@transaction.atomic
def saved_view_create(*, owner, name: str, query: str = "", shared: bool = False,
                      actor=None) -> SavedTicketView:  # fmt: skip
    if SavedTicketView.objects.filter(owner=owner, name=name).exists():
        raise ValidationError({"name": "You have a view of this name."})
    if SavedTicketView.objects.filter(owner=owner).count() >= 50:
        raise ValidationError({"name": "You may keep at most 50 views."})
    return record_create(SavedTicketView(owner=owner, name=name, query=query.lstrip("?"),
                                         shared=shared), actor=actor)  # fmt: skip


def saved_view_delete(*, view: SavedTicketView, actor=None) -> None:
    record_delete(view, actor=actor)


def _check_members(members) -> None:
    for user in members:
        _check_agent(user)


@transaction.atomic
def team_create(*, name: str, email: str = "", members=(), actor=None) -> SupportTeam:
    """A support team; its members are ISP staff."""
    members = list(members)
    _check_members(members)
    team = record_create(SupportTeam(name=name, email=email), actor=actor)
    team.members.set(members)
    return team


@transaction.atomic
def team_update(*, team: SupportTeam, actor=None, **fields) -> SupportTeam:
    members = fields.pop("members", None)
    record_update(team, fields, actor=actor)
    if members is not None:
        members = list(members)
        _check_members(members)
        team.members.set(members)
    return team
