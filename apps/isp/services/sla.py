"""SLA timers of tickets, in business time (the tenant's business hours and holidays, in the
installation's time zone; a tenant without business hours works round the clock).

A ticket's clock is what it *banked* (`sla_elapsed_seconds`) plus, while it runs, the business
time since `sla_running_since`. Pausing (waiting on the customer) banks what ran; resuming
starts it again from the bank. The due times are derived from the bank and the policy's
targets, so a policy changed while a ticket is paused (or running) moves its due times and
never loses what ran before the pause (GLPI #6902, Zammad #3140).

The sweep (a Celery beat task per tenant, `isp.sla_sweep`) warns, marks breaches and escalates,
each at most once per ticket (the timestamps it sets are its memory; rows are locked and skipped
by a second worker).
"""

import datetime
from dataclasses import dataclass, field

from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from apps.core.kit.writes import record_update
from apps.isp.constants import SLA
from apps.isp.models import BusinessHours, Holiday, SlaPolicy, Ticket, TicketReply
from apps.platform.licensing.guards import current_entitlements

__all__ = [
    "Schedule",
    "add_business_seconds",
    "business_seconds",
    "clock_checkpoint",
    "clock_start",
    "clock_stop",
    "elapsed_seconds",
    "policy_for",
    "schedule_load",
    "sla_enabled",
    "sla_sweep",
]

#: How far ahead a due time is looked for (a target longer than this many days of business
#: time is refused by the policy's bound of a year of minutes anyway).
HORIZON_DAYS = 3 * 366
#: Tickets handled per kind of event per sweep run (the next run takes the rest).
SWEEP_BATCH = 500
DAY = datetime.timedelta(days=1)


@dataclass(frozen=True)
class Schedule:
    """Business hours by weekday (0 = Monday) as (opens, closes), and the days off. No hours
    at all: round the clock."""

    hours: dict = field(default_factory=dict)
    holidays: frozenset = frozenset()

    @property
    def round_the_clock(self) -> bool:
        return not self.hours

    def windows(self, day: datetime.date, zone) -> tuple[datetime.datetime, datetime.datetime]:
        """The day's business window as aware datetimes (None: not worked)."""
        if day in self.holidays or day.weekday() not in self.hours:
            return None
        opens, closes = self.hours[day.weekday()]
        start = datetime.datetime.combine(day, opens, tzinfo=zone)
        end = datetime.datetime.combine(day, closes, tzinfo=zone)
        return start, end


ROUND_THE_CLOCK = Schedule()


def schedule_load() -> Schedule:
    """The tenant's business hours and holidays (a handful of rows: two queries)."""
    hours = {row.weekday: (row.opens, row.closes) for row in BusinessHours.objects.all()}
    holidays = frozenset(Holiday.objects.values_list("date", flat=True))
    return Schedule(hours=hours, holidays=holidays)


def _schedule_of(policy: SlaPolicy | None, schedule: Schedule | None) -> Schedule:
    if policy is not None and not policy.business_hours_only:
        return ROUND_THE_CLOCK
    return schedule if schedule is not None else schedule_load()


def business_seconds(start: datetime.datetime, end: datetime.datetime, schedule: Schedule) -> int:
    """Business seconds between two instants (0 if end is not after start)."""
    if end <= start:
        return 0
    if schedule.round_the_clock:
        return int((end - start).total_seconds())
    zone = timezone.get_default_timezone()
    local_start, local_end = start.astimezone(zone), end.astimezone(zone)
    day, total = local_start.date(), 0
    while day <= local_end.date():
        window = schedule.windows(day, zone)
        if window is not None:
            lower, upper = max(window[0], local_start), min(window[1], local_end)
            if upper > lower:
                total += int((upper - lower).total_seconds())
        day += DAY
    return total


def add_business_seconds(
    start: datetime.datetime, seconds: int, schedule: Schedule
) -> datetime.datetime | None:
    """The instant at which `seconds` of business time have passed since `start` (None:
    beyond the horizon, e.g. business hours of no day at all)."""
    if schedule.round_the_clock:
        return start + datetime.timedelta(seconds=seconds)
    zone = timezone.get_default_timezone()
    local = start.astimezone(zone)
    day, left = local.date(), seconds
    for _ in range(HORIZON_DAYS):
        window = schedule.windows(day, zone)
        if window is not None:
            lower = max(window[0], local)
            if window[1] > lower:
                available = (window[1] - lower).total_seconds()
                if left <= available:
                    return (lower + datetime.timedelta(seconds=left)).astimezone(datetime.UTC)
                left -= int(available)
        day += DAY
    return None


# --- the clock of a ticket (callers save the ticket) ---------------------------------------------


def sla_enabled() -> bool:
    """Whether the tenant's plan has SLA policies (`isp.sla`)."""
    return current_entitlements().has_feature(SLA)


def policy_for(priority: str) -> SlaPolicy | None:
    """The policy timing tickets of `priority`, when the plan has SLAs."""
    if not sla_enabled():
        return None
    return SlaPolicy.objects.filter(priority=priority).select_related("escalation_team").first()


CLOCK_FIELDS = [
    "sla_elapsed_seconds",
    "sla_running_since",
    "first_response_due_at",
    "resolution_due_at",
    "warn_at",
]


def elapsed_seconds(ticket: Ticket, now: datetime.datetime, schedule: Schedule | None = None):
    """The business time the ticket's clock has run up to `now`."""
    if ticket.sla_running_since is None:
        return ticket.sla_elapsed_seconds
    schedule = _schedule_of(ticket.sla_policy, schedule)
    return ticket.sla_elapsed_seconds + business_seconds(ticket.sla_running_since, now, schedule)


def _dues(ticket: Ticket, now: datetime.datetime, schedule: Schedule | None) -> None:
    policy = ticket.sla_policy
    if policy is None or ticket.sla_running_since is None:
        ticket.first_response_due_at = ticket.resolution_due_at = ticket.warn_at = None
        return
    schedule = _schedule_of(policy, schedule)
    banked = ticket.sla_elapsed_seconds

    def due(target_seconds: int):
        return add_business_seconds(now, max(target_seconds - banked, 0), schedule)

    resolution = policy.resolution_minutes * 60
    ticket.first_response_due_at = (
        due(policy.first_response_minutes * 60) if ticket.first_responded_at is None else None
    )
    ticket.resolution_due_at = due(resolution)
    ticket.warn_at = due(resolution * policy.warn_percent // 100)


def clock_start(ticket: Ticket, now: datetime.datetime, schedule: Schedule | None = None) -> None:
    """Run the clock from `now` on what it banked (a new ticket, a resume, a reopen)."""
    if ticket.sla_running_since is None:
        ticket.sla_running_since = now
    _dues(ticket, now, schedule)


def clock_stop(ticket: Ticket, now: datetime.datetime, schedule: Schedule | None = None) -> None:
    """Bank what ran and stop (a pause, a resolution, a merge): no due time while stopped."""
    ticket.sla_elapsed_seconds = elapsed_seconds(ticket, now, schedule)
    ticket.sla_running_since = None
    _dues(ticket, now, schedule)


def clock_checkpoint(ticket: Ticket, now: datetime.datetime, schedule: Schedule | None = None):
    """Bank what ran and go on (before the policy or the priority changes): the due times are
    then those of the new targets less what was banked."""
    if ticket.sla_running_since is None:
        _dues(ticket, now, schedule)
        return
    clock_stop(ticket, now, schedule)
    clock_start(ticket, now, schedule)


@transaction.atomic
def policy_update(*, policy: SlaPolicy, actor=None, **fields) -> SlaPolicy:
    """Change a policy (the API and the console): its open tickets' due times move with it."""
    record_update(policy, fields, actor=actor)
    policy_tickets_retime(policy=policy)
    return policy


@transaction.atomic
def policy_tickets_retime(*, policy: SlaPolicy, now: datetime.datetime | None = None) -> int:
    """After a policy's targets changed: the due times of its open tickets move (what their
    clocks banked stays). Returns how many were retimed."""
    now = now or timezone.now()
    schedule = schedule_load()
    open_statuses = [Ticket.Status.NEW, Ticket.Status.OPEN, Ticket.Status.WAITING]
    tickets = Ticket.objects.filter(sla_policy=policy, status__in=open_statuses)
    retimed, batch = 0, []
    for ticket in tickets.select_for_update().order_by("pk").iterator(chunk_size=500):
        ticket.sla_policy = policy
        clock_checkpoint(ticket, now, schedule)
        batch.append(ticket)
        if len(batch) >= 500:
            Ticket.objects.bulk_update(batch, CLOCK_FIELDS)
            retimed, batch = retimed + len(batch), []
    Ticket.objects.bulk_update(batch, CLOCK_FIELDS)
    return retimed + len(batch)


# --- warnings, breaches, escalation ---------------------------------------------------------------


def _recipients(ticket: Ticket) -> list[str]:
    emails = []
    if ticket.assignee_id and ticket.assignee.email:
        emails.append(ticket.assignee.email)
    if ticket.team_id and ticket.team.email:
        emails.append(ticket.team.email)
    return emails


def _mail(ticket: Ticket, subject: str, body: str, to: list[str]) -> None:
    if to:
        transaction.on_commit(lambda: send_mail(subject, body, None, to, fail_silently=True))


def _due(field_name: str, now, **pending):
    return (
        Ticket.objects.filter(**{f"{field_name}__lte": now}, **pending)
        .select_related("sla_policy__escalation_team", "assignee", "team")
        .select_for_update(skip_locked=True, of=("self",))
        .order_by("pk")[:SWEEP_BATCH]
    )


@transaction.atomic
def sla_sweep(*, now: datetime.datetime | None = None) -> dict:
    """Warn of tickets near their resolution target, mark missed first responses and
    resolutions, and escalate a breached ticket to its policy's team. Each happens once."""
    now = now or timezone.now()
    counts = {"warned": 0, "response_breached": 0, "breached": 0, "escalated": 0}
    for ticket in _due("warn_at", now, warned_at__isnull=True, breached_at__isnull=True):
        ticket.warned_at = now
        ticket.save(update_fields=["warned_at"])
        _mail(ticket, f"[{ticket.number}] SLA warning: {ticket.subject}",
              f"Ticket {ticket.number} is due by {ticket.resolution_due_at:%d %b %Y %H:%M} UTC.",
              _recipients(ticket))  # fmt: skip
        counts["warned"] += 1
    for ticket in _due(
        "first_response_due_at", now,
        first_responded_at__isnull=True, first_response_breached_at__isnull=True,
    ):  # fmt: skip
        ticket.first_response_breached_at = now
        ticket.save(update_fields=["first_response_breached_at"])
        _mail(ticket, f"[{ticket.number}] First response overdue: {ticket.subject}",
              f"Ticket {ticket.number} has had no first response within its SLA.",
              _recipients(ticket))  # fmt: skip
        counts["response_breached"] += 1
    for ticket in _due("resolution_due_at", now, breached_at__isnull=True):
        ticket.breached_at = now
        fields = ["breached_at"]
        team = ticket.sla_policy.escalation_team if ticket.sla_policy_id else None
        note = f"SLA breached: not resolved by {ticket.resolution_due_at:%d %b %Y %H:%M} UTC."
        if team is not None:
            ticket.escalated_at, ticket.team = now, team
            fields += ["escalated_at", "team"]
            note += f" Escalated to {team.name}."
            counts["escalated"] += 1
        ticket.save(update_fields=fields)
        TicketReply.objects.create(ticket=ticket, author_name="SLA", internal=True, body=note)
        _mail(ticket, f"[{ticket.number}] SLA breached: {ticket.subject}", note,
              _recipients(ticket))  # fmt: skip
        counts["breached"] += 1
    return counts
