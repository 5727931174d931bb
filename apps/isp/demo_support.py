"""The demo's support desk and field work (DESIGN.md §10): business hours, holidays, teams, an
SLA policy per priority; open tickets in every state (new, open, waiting on the customer,
resolved, a duplicate merged and closed); and Tom's jobs for today (an installation that
activates a service, repairs of tickets, a removal), with more jobs across the week for the
dispatcher's board. Through the services; idempotent (a seeded demo keeps its desk)."""

import datetime

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from apps.isp.models import (
    BusinessHours,
    Customer,
    Holiday,
    Service,
    ServicePlan,
    SlaPolicy,
    SupportTeam,
)
from apps.isp.services import field, support
from apps.isp.services.subscriptions import service_create

ACTOR = "demo"
CALL_AHEAD = "Call the customer 15 minutes before."
POLICIES = (  # priority, first response, resolution (minutes), business hours only
    ("urgent", 15, 240, False),
    ("high", 60, 480, True),
    ("normal", 240, 1440, True),
    ("low", 480, 2880, True),
)
TICKETS = (  # subject, priority, category, what happens to it
    ("No internet since this morning", "urgent", "technical", "new"),
    ("Wi-Fi drops every evening", "high", "technical", "open"),
    ("Router light blinking red", "normal", "technical", "waiting"),
    ("Invoice shows the setup fee twice", "normal", "billing", "open"),
    ("Slow speeds upstairs", "low", "technical", "resolved"),
    ("Internet down again", "urgent", "technical", "duplicate"),
    ("Move my line to the new flat", "normal", "installation", "new"),
)


def support_demo_ensure(*, demo) -> None:
    if SupportTeam.objects.exists():
        return
    with transaction.atomic():
        _seed(demo)


def _seed(demo) -> None:
    for weekday in range(5):
        BusinessHours.objects.create(weekday=weekday, opens=datetime.time(8),
                                     closes=datetime.time(18))  # fmt: skip
    year = timezone.localdate().year
    for month, day, name in ((12, 25, "Christmas Day"), (1, 1, "New Year's Day")):
        for y in (year, year + 1):
            Holiday.objects.get_or_create(date=datetime.date(y, month, day), name=name)
    users = get_user_model().objects
    staff = [user for user in users.filter(username__in=["sarah", "john", "admin"])]
    first_line = support.team_create(name="First line", email=f"support@{demo.slug}.example.com",
                                     members=staff, actor=ACTOR)  # fmt: skip
    noc = support.team_create(name="NOC", email=f"noc@{demo.slug}.example.com", actor=ACTOR)
    for priority, response, resolution, business in POLICIES:
        SlaPolicy.objects.create(
            name=f"{priority.title()} priority", priority=priority,
            first_response_minutes=response, resolution_minutes=resolution,
            business_hours_only=business, escalation_team=noc,
        )  # fmt: skip
    customers = list(Customer.objects.filter(status=Customer.Status.ACTIVE).order_by("pk")[:12])
    if len(customers) < 8:
        return
    agent = staff[0] if staff else None
    opened = {}
    for index, (subject, priority, category, fate) in enumerate(TICKETS):
        customer = customers[index % 5]
        service = customer.services.filter(status=Service.Status.ACTIVE).first()
        ticket = support.ticket_open(
            subject=subject, customer=customer, service=service, priority=priority,
            category=category, team=first_line, source="portal" if index % 2 else "staff",
            description=f"{subject}. Please help.", actor=ACTOR,
        )  # fmt: skip
        opened.setdefault(fate, ticket)  # the first of each fate: the duplicate's original
        if fate in ("open", "waiting", "resolved"):
            support.ticket_reply(ticket=ticket, body="Thanks, we are looking into it.",
                                 actor=ACTOR)  # fmt: skip
            support.ticket_reply(ticket=ticket, body="Line checks clean from the OLT.",
                                 internal=True, actor=ACTOR)  # fmt: skip
        if fate == "open" and agent is not None:
            support.ticket_assign(ticket=ticket, team=first_line, assignee=agent, actor=ACTOR)
        if fate == "waiting":
            support.ticket_set_status(ticket=ticket, status="waiting", actor=ACTOR)
        if fate == "resolved":
            support.ticket_resolve(ticket=ticket, note="Moved the router; speeds are fine now.",
                                   actor=ACTOR)  # fmt: skip
    duplicate, original = opened["duplicate"], opened["new"]
    if duplicate.customer_id == original.customer_id:
        support.ticket_merge(ticket=duplicate, into=original, actor=ACTOR)
    _jobs(customers, opened)


def _jobs(customers, tickets) -> None:
    users = get_user_model().objects
    tom = users.filter(username="tom").first()
    today = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)

    def at(days: int, hour: int) -> tuple:
        start = today + datetime.timedelta(days=days, hours=hour)
        return start, start + datetime.timedelta(hours=1, minutes=30)

    plan = ServicePlan.objects.order_by("pk").first()
    newcomer = customers[7]
    pending = service_create(customer=newcomer, plan=plan, actor=ACTOR,
                             install_street=newcomer.service_street,
                             install_city=newcomer.service_city)  # fmt: skip
    repair = tickets.get("open")
    plan_of_day = [
        ("installation", newcomer, pending, None, 0, 9),
        ("repair", repair.customer, repair.service, repair, 0, 11),
        ("repair", tickets["waiting"].customer, None, tickets["waiting"], 0, 14),
        ("removal", customers[6], None, None, 0, 16),
        ("repair", customers[5], None, None, 1, 10),
        ("repair", customers[4], None, None, 2, 13),
        ("installation", customers[3], None, None, -1, 10),
    ]
    for kind, customer, service, ticket, day, hour in plan_of_day:
        if kind == "installation" and service is None:
            kind = "repair"
        start, end = at(day, hour)
        job = field.work_order_create(kind=kind, customer=customer, service=service,
                                      ticket=ticket, technician=tom, slot_start=start,
                                      slot_end=end, actor=ACTOR,
                                      instructions=CALL_AHEAD)  # fmt: skip
        if day < 0:  # yesterday's job: done
            for to in ("en_route", "on_site"):
                field.work_order_transition(work_order=job, to=to, actor=ACTOR)
            for item in job.checklist.all():
                field.checklist_tick(item=item, done=True, actor=ACTOR)
            field.work_order_transition(work_order=job, to="completed", actor=ACTOR)
