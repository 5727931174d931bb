"""SLA timers of tickets, with time travel (time-machine): business hours and holidays, the
clock paused while waiting on the customer, a policy changed while paused (the paused time is
not lost: GLPI #6902, Zammad #3140), warnings, breaches and escalation by the sweep, each once.

Business hours in these tests: Monday to Friday, 09:00–17:00 (UTC, the suite's time zone).
2026-03-02 is a Monday."""

import datetime

import pytest
import time_machine
from django.core import mail
from django_tenants.utils import schema_context

from apps.isp.models import BusinessHours, Holiday, Ticket
from apps.isp.services import sla, support
from tests.conftest import TENANTS
from tests.isp.support_factories import SlaPolicyFactory, TeamFactory, TicketFactory, give_features

UTC = datetime.UTC
MONDAY = datetime.date(2026, 3, 2)


def at(day: int, hour: int, minute: int = 0) -> datetime.datetime:
    """An instant of the week of MONDAY (day 0 = Monday)."""
    return datetime.datetime.combine(MONDAY + datetime.timedelta(days=day),
                                     datetime.time(hour, minute), tzinfo=UTC)  # fmt: skip


@pytest.fixture
def sla_plan(tenant_a, django_capture_on_commit_callbacks):
    give_features(TENANTS["a"], django_capture_on_commit_callbacks, **{"isp.sla": True})
    with schema_context(tenant_a.schema_name):
        for weekday in range(5):
            BusinessHours.objects.create(weekday=weekday, opens=datetime.time(9),
                                         closes=datetime.time(17))  # fmt: skip
        yield


def _sweep(capture) -> dict:
    """One sweep, its mail sent (after its commit)."""
    with capture(execute=True):
        return sla.sla_sweep()


@pytest.fixture
def high():
    """High priority: first response within 1 business hour, resolution within 4."""
    return SlaPolicyFactory(priority="high", first_response_minutes=60, resolution_minutes=240)


def test_business_time_skips_nights_weekends_and_holidays(sla_plan):
    schedule = sla.schedule_load()

    assert sla.add_business_seconds(at(4, 16), 2 * 3600, schedule) == at(7, 10)  # Fri → Mon
    assert sla.business_seconds(at(4, 16), at(7, 10), schedule) == 2 * 3600
    assert sla.add_business_seconds(at(0, 7), 3600, schedule) == at(0, 10)  # before opening
    Holiday.objects.create(date=MONDAY + datetime.timedelta(days=7), name="Bank holiday")
    schedule = sla.schedule_load()
    assert sla.add_business_seconds(at(4, 16), 2 * 3600, schedule) == at(8, 10)  # → Tue
    assert sla.business_seconds(at(4, 16), at(8, 10), schedule) == 2 * 3600


def test_without_business_hours_the_clock_runs_round_the_clock(in_tenant_a):
    schedule = sla.schedule_load()

    assert sla.add_business_seconds(at(4, 16), 2 * 3600, schedule) == at(4, 18)


def test_a_ticket_opened_late_on_friday_is_due_on_monday(sla_plan, high):
    with time_machine.travel(at(4, 16), tick=False):
        ticket = TicketFactory(priority="high")

    assert ticket.sla_policy == high
    assert ticket.first_response_due_at == at(4, 17)
    assert ticket.resolution_due_at == at(7, 12)  # 1 h on Friday, 3 h on Monday
    assert ticket.warn_at == at(7, 11, 12)  # 80 % of 4 h


def test_without_isp_sla_in_the_plan_a_ticket_has_no_clock(in_tenant_a):
    SlaPolicyFactory(priority="high")

    ticket = TicketFactory(priority="high")

    assert ticket.sla_policy is None
    assert ticket.resolution_due_at is None


def test_waiting_on_the_customer_pauses_the_clock_and_keeps_what_ran(sla_plan, high):
    with time_machine.travel(at(0, 9), tick=False):
        ticket = TicketFactory(priority="high")
    with time_machine.travel(at(0, 10), tick=False):
        support.ticket_reply(ticket=ticket, body="Please restart the router.", status="waiting")
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.WAITING
    assert (ticket.sla_elapsed_seconds, ticket.sla_running_since) == (3600, None)
    assert ticket.resolution_due_at is None  # nothing is due while paused
    assert ticket.first_responded_at == at(0, 10)

    with time_machine.travel(at(1, 9), tick=False):  # a day later
        support.ticket_reply(ticket=ticket, body="Still red.", from_customer=True)

    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.OPEN
    assert ticket.sla_elapsed_seconds == 3600
    assert ticket.resolution_due_at == at(1, 12)  # 3 h left, counted from the resume
    assert ticket.sla_paused_seconds == 23 * 3600


def test_a_policy_changed_while_paused_keeps_the_paused_time(sla_plan, high):
    with time_machine.travel(at(0, 9), tick=False):
        ticket = TicketFactory(priority="high")
    with time_machine.travel(at(0, 10), tick=False):
        support.ticket_set_status(ticket=ticket, status="waiting")
    with time_machine.travel(at(0, 15), tick=False):
        high.resolution_minutes = 480
        high.save()
        assert sla.policy_tickets_retime(policy=high) == 1
    ticket.refresh_from_db()
    assert (ticket.sla_elapsed_seconds, ticket.resolution_due_at) == (3600, None)

    with time_machine.travel(at(1, 9), tick=False):
        support.ticket_set_status(ticket=ticket, status="open")
        ticket.refresh_from_db()
        assert sla.sla_sweep()["breached"] == 0

    # 7 h left of the new 8 h target: recomputing from the ticket's age would have made it
    # due on Monday 17:00, and breached already.
    assert ticket.resolution_due_at == at(1, 16)
    assert ticket.breached_at is None


def test_a_policy_changed_while_running_moves_the_due_time(sla_plan, high):
    with time_machine.travel(at(0, 9), tick=False):
        ticket = TicketFactory(priority="high")
    with time_machine.travel(at(0, 11), tick=False):
        high.resolution_minutes = 360
        high.save()
        sla.policy_tickets_retime(policy=high)

    ticket.refresh_from_db()
    assert ticket.sla_elapsed_seconds == 2 * 3600
    assert ticket.resolution_due_at == at(0, 15)


def test_a_priority_change_takes_the_other_policy_and_keeps_the_clock(sla_plan, high):
    urgent = SlaPolicyFactory(priority="urgent", first_response_minutes=15,
                              resolution_minutes=120)  # fmt: skip
    with time_machine.travel(at(0, 9), tick=False):
        ticket = TicketFactory(priority="high")
    with time_machine.travel(at(0, 10), tick=False):
        support.ticket_update(ticket=ticket, priority="urgent")

    ticket.refresh_from_db()
    assert ticket.sla_policy == urgent
    assert ticket.resolution_due_at == at(0, 11)
    assert ticket.first_response_due_at == at(0, 10)  # 15 min target, 60 min gone: overdue now


def test_the_sweep_warns_then_breaches_and_escalates_each_once(
    sla_plan, high, django_capture_on_commit_callbacks
):
    sweep = lambda: _sweep(django_capture_on_commit_callbacks)  # noqa: E731
    noc = TeamFactory(name="NOC", email="noc@isp.example.com")
    high.escalation_team = noc
    high.save()
    first_line = TeamFactory(name="First line", email="first@isp.example.com")
    with time_machine.travel(at(0, 9), tick=False):
        ticket = TicketFactory(priority="high", team=first_line)
        support.ticket_reply(ticket=ticket, body="Looking into it.")  # first response met
    mail.outbox.clear()

    with time_machine.travel(at(0, 12, 11), tick=False):
        assert sweep()["warned"] == 0
    with time_machine.travel(at(0, 12, 13), tick=False):
        counts = sweep()
    assert counts["warned"] == 1
    assert counts["breached"] == 0
    with time_machine.travel(at(0, 12, 30), tick=False):
        assert sweep()["warned"] == 0  # once

    with time_machine.travel(at(0, 13, 1), tick=False):
        counts = sweep()
    assert (counts["breached"], counts["escalated"], counts["response_breached"]) == (1, 1, 0)
    ticket.refresh_from_db()
    assert ticket.breached_at == at(0, 13, 1)
    assert ticket.team == noc
    assert ticket.replies.filter(internal=True, body__contains="Escalated to NOC").exists()
    with time_machine.travel(at(0, 14), tick=False):
        assert sweep() == {"warned": 0, "response_breached": 0, "breached": 0,
                                   "escalated": 0}  # fmt: skip
    subjects = [message.subject for message in mail.outbox]
    assert sum("SLA warning" in subject for subject in subjects) == 1
    assert sum("SLA breached" in subject for subject in subjects) == 1
    assert "noc@isp.example.com" in mail.outbox[-1].to


def test_a_missed_first_response_is_marked_once(sla_plan, high):
    with time_machine.travel(at(0, 9), tick=False):
        ticket = TicketFactory(priority="high")

    with time_machine.travel(at(0, 10, 1), tick=False):
        assert sla.sla_sweep()["response_breached"] == 1
        assert sla.sla_sweep()["response_breached"] == 0

    ticket.refresh_from_db()
    assert ticket.first_response_breached_at == at(0, 10, 1)


def test_a_resolved_ticket_is_not_breached_and_a_reopen_runs_on_from_the_bank(sla_plan, high):
    with time_machine.travel(at(0, 9), tick=False):
        ticket = TicketFactory(priority="high")
    with time_machine.travel(at(0, 11), tick=False):
        support.ticket_resolve(ticket=ticket, note="Replaced the CPE.")
    with time_machine.travel(at(2, 9), tick=False):
        assert sla.sla_sweep()["breached"] == 0
        support.ticket_reopen(ticket=ticket)

    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.OPEN
    assert ticket.sla_elapsed_seconds == 2 * 3600
    assert ticket.resolution_due_at == at(2, 11)
