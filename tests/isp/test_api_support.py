"""The support API: tickets for staff (the generic resource checks, and the reply, assign,
resolve, reopen, merge, status and attachments actions), the support setup resources, the
agent's saved views, and the customer's own tickets in the portal (internal notes never shown)."""

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django_tenants.utils import schema_context

from apps.core.models import AuditEntry
from apps.isp.models import Customer, Holiday, SavedTicketView, SlaPolicy, Ticket, TicketAttachment
from apps.isp.services import support
from tests.conftest import TENANTS
from tests.isp.factories import CustomerFactory, ServiceFactory
from tests.isp.support_factories import (
    SlaPolicyFactory,
    TeamFactory,
    TicketFactory,
    agent,
    give_features,
    technician,
)
from tests.isp.test_api_portal import PORTAL, PortalResourceTests, customer_user
from tests.resource_base import ResourceTests

pytestmark = pytest.mark.django_db
TICKETS = "/api/v1/isp/tickets/"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
#: The ticket actions that write, with a body each would accept.
TICKET_ACTIONS = {
    "reply": {"body": "From elsewhere"},
    "assign": {"assignee": None},
    "resolve": {"note": ""},
    "reopen": {},
    "merge": {"into": 1},
    "status": {"status": "waiting"},
}


class TestTicketResource(ResourceTests):
    path = TICKETS
    resource_type = "ticket"
    factory = TicketFactory
    operations = {"list", "retrieve", "create", "update"}
    update_data = {"subject": "Slow in the evenings", "category": "technical"}

    def create_data(self):
        return {"subject": "No connection", "description": "Red light.", "priority": "high",
                "customer": CustomerFactory().pk}  # fmt: skip

    def act(self, client, pk, action: str):
        url = f"{self.path}{pk}/{action}/"
        if action == "replies":
            return client.get(url)
        if action == "attachments":
            return client.post(url, {"file": SimpleUploadedFile("a.png", PNG, "image/png")})
        return client.post_json(url, TICKET_ACTIONS[action])

    @pytest.mark.parametrize("action", [*TICKET_ACTIONS, "replies", "attachments"])
    def test_another_tenants_ticket_actions_are_not_found_and_write_nothing(self, api, action):
        foreign = self.foreign_row("tenant-b")
        before = self.state(foreign.pk, "tenant-b")

        self.error(self.act(api, foreign.pk, action), 404, "NOT_FOUND", action)
        assert self.state(foreign.pk, "tenant-b") == before
        with schema_context(self.schema_of("tenant-b")):
            assert not foreign.replies.exists()
            assert not foreign.attachments.exists()

    @pytest.mark.parametrize("action", [*TICKET_ACTIONS, "replies", "attachments"])
    def test_an_outsider_may_not_act_on_a_ticket(self, outsider_api, action):
        ticket = self.row()
        before = self.state(ticket.pk)

        self.error(self.act(outsider_api, ticket.pk, action), 403, "PERMISSION_DENIED", action)
        assert self.state(ticket.pk) == before


class TestSupportTeamResource(ResourceTests):
    path = "/api/v1/isp/support-teams/"
    resource_type = "support_team"
    factory = TeamFactory
    create_data = {"name": "NOC", "email": "noc@example.com", "members": []}
    update_data = {"name": "Network operations"}


class TestHolidayResource(ResourceTests):
    path = "/api/v1/isp/holidays/"
    resource_type = "holiday"
    model = Holiday
    create_data = {"date": "2026-12-25", "name": "Christmas Day"}
    update_data = {"name": "Christmas"}

    def make(self, **fields):
        count = Holiday.objects.count()
        return Holiday.objects.create(date=f"2027-01-{count % 28 + 1:02d}", name="Day off")


class TestSavedTicketViewResource(ResourceTests):
    path = "/api/v1/isp/ticket-views/"
    resource_type = "saved_ticket_view"
    model = SavedTicketView
    operations = {"list", "retrieve", "create", "delete"}
    create_data = {"name": "My breached", "query": "mine=true&breached=true"}

    def make(self, **fields):
        from django.contrib.auth import get_user_model

        owner = get_user_model().objects.get(username="owner")
        name = f"View {SavedTicketView.objects.count()}"
        return SavedTicketView.objects.create(owner=owner, name=name, query="status=open")


class TestPortalTicketResource(PortalResourceTests):
    path = f"{PORTAL}/tickets/"
    resource_type = "ticket"
    factory = TicketFactory
    operations = {"list", "retrieve", "create"}
    create_data = {"subject": "Slow Wi-Fi", "description": "Since Monday.", "category": "technical"}


# --- behaviour ----------------------------------------------------------------------------------


@pytest.fixture
def ticket(in_tenant_a):
    return TicketFactory(customer=CustomerFactory(email="ann@example.com"), priority="high")


def test_a_public_reply_is_mailed_to_the_customer_and_is_the_first_response(
    api_a, ticket, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = api_a.post_json(f"{TICKETS}{ticket.pk}/reply/", {"body": "On our way."})

    assert response.status_code == 201, response.content
    ticket.refresh_from_db()
    assert ticket.first_responded_at is not None
    assert ticket.status == Ticket.Status.OPEN
    assert [message.to for message in mail.outbox] == [["ann@example.com"]]
    assert "On our way." in mail.outbox[0].body


def test_an_internal_note_is_not_mailed_and_not_a_first_response(
    api_a, ticket, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = api_a.post_json(f"{TICKETS}{ticket.pk}/reply/",
                                   {"body": "Probably the OLT.", "internal": True})  # fmt: skip

    assert response.status_code == 201
    assert response.json()["data"]["attributes"]["internal"] is True
    ticket.refresh_from_db()
    assert ticket.first_responded_at is None
    assert mail.outbox == []


def test_an_empty_reply_is_refused_and_writes_nothing(api_a, ticket):
    response = api_a.post_json(f"{TICKETS}{ticket.pk}/reply/", {"body": "   "})

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "VALIDATION_ERROR"
    assert ticket.replies.count() == 0


def test_assigning_to_an_agent_mails_them_and_a_technician_is_refused(
    api_a, ticket, django_capture_on_commit_callbacks
):
    sarah, tom = agent("sarah2"), technician("tom2")
    team = TeamFactory()

    with django_capture_on_commit_callbacks(execute=True):
        response = api_a.post_json(f"{TICKETS}{ticket.pk}/assign/",
                                   {"assignee": sarah.pk, "team": team.pk})  # fmt: skip
    refused = api_a.post_json(f"{TICKETS}{ticket.pk}/assign/", {"assignee": tom.pk})

    assert response.status_code == 200, response.content
    attributes = response.json()["data"]["attributes"]
    assert (attributes["assignee"], attributes["team"]) == (sarah.pk, team.pk)
    assert "sarah2@example.com" in mail.outbox[0].to
    assert refused.status_code == 400
    ticket.refresh_from_db()
    assert ticket.assignee == sarah
    assert AuditEntry.objects.filter(action="assign", object_id=str(ticket.pk)).exists()


def test_resolve_then_reopen_and_a_second_reopen_is_a_conflict(api_a, ticket):
    resolved = api_a.post_json(f"{TICKETS}{ticket.pk}/resolve/", {"note": "Replaced the ONT."})
    again = api_a.post_json(f"{TICKETS}{ticket.pk}/resolve/", {})
    reopened = api_a.post_json(f"{TICKETS}{ticket.pk}/reopen/", {})
    conflict = api_a.post_json(f"{TICKETS}{ticket.pk}/reopen/", {})

    assert resolved.json()["data"]["attributes"]["status"] == "resolved"
    assert again.status_code == 409
    assert reopened.json()["data"]["attributes"]["status"] == "open"
    assert conflict.status_code == 409
    assert conflict.json()["error"]["code"] == "CONFLICT"


def test_waiting_on_the_customer_through_the_status_action(api_a, ticket):
    response = api_a.post_json(f"{TICKETS}{ticket.pk}/status/", {"status": "waiting"})
    refused = api_a.post_json(f"{TICKETS}{ticket.pk}/status/", {"status": "closed"})

    assert response.json()["data"]["attributes"]["status"] == "waiting"
    assert refused.status_code == 400


def test_merging_a_duplicate_moves_its_replies_and_closes_it(api_a, ticket):
    duplicate = TicketFactory(customer=ticket.customer, subject="Internet down again")
    support.ticket_reply(ticket=duplicate, body="Same here.", from_customer=True)

    response = api_a.post_json(f"{TICKETS}{duplicate.pk}/merge/", {"into": ticket.pk})
    again = api_a.post_json(f"{TICKETS}{duplicate.pk}/merge/", {"into": ticket.pk})
    itself = api_a.post_json(f"{TICKETS}{ticket.pk}/merge/", {"into": ticket.pk})

    assert response.status_code == 200, response.content
    assert response.json()["data"]["attributes"]["merged_into"] == ticket.pk
    duplicate.refresh_from_db()
    assert duplicate.status == Ticket.Status.CLOSED
    assert ticket.replies.filter(body="Same here.").exists()
    assert again.status_code == 409
    assert itself.status_code == 400


def test_merging_tickets_of_different_customers_is_refused(api_a, ticket):
    other = TicketFactory(customer=CustomerFactory())

    response = api_a.post_json(f"{TICKETS}{other.pk}/merge/", {"into": ticket.pk})

    assert response.status_code == 400
    other.refresh_from_db()
    assert other.merged_into is None


def test_an_attachment_is_kept_under_the_tenants_prefix(api_a, ticket, tenant_a):
    upload = SimpleUploadedFile("router photo.png", PNG, content_type="image/png")

    response = api_a.post(f"{TICKETS}{ticket.pk}/attachments/", {"file": upload})

    assert response.status_code == 201, response.content
    attachment = TicketAttachment.objects.get(ticket=ticket)
    assert attachment.content_type == "image/png"
    assert attachment.file.path.split("/tenants/")[1].startswith(f"{tenant_a.schema_name}/")
    assert attachment.file.read() == PNG


@pytest.mark.parametrize(
    ("name", "content", "problem"),
    [
        ("evil.png", b"MZ\x90\x00\x03" + b"\xff" * 100, "not accepted"),  # a program, named .png
        ("big.pdf", b"%PDF-" + b"0" * (10 * 1024 * 1024), "at most 10 MB"),
        ("empty.txt", b"", "empty"),
    ],
)
def test_an_attachment_too_big_or_of_another_type_is_refused(api_a, ticket, name, content,
                                                             problem):  # fmt: skip
    upload = SimpleUploadedFile(name, content, content_type="image/png")

    response = api_a.post(f"{TICKETS}{ticket.pk}/attachments/", {"file": upload})

    assert response.status_code == 400, response.content
    body = response.json()["error"]
    assert body["details"][0]["field"] == "file"
    assert problem in body["details"][0]["message"]
    assert not TicketAttachment.objects.exists()


def test_sla_policies_need_isp_sla(api_a, in_tenant_a):
    response = api_a.get("/api/v1/isp/sla-policies/")

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "FEATURE_NOT_IN_PLAN"


def test_changing_a_policy_moves_the_due_times_of_its_open_tickets(
    api_a, tenant_a, django_capture_on_commit_callbacks
):
    give_features(TENANTS["a"], django_capture_on_commit_callbacks, **{"isp.sla": True})
    with schema_context(tenant_a.schema_name):
        policy = SlaPolicyFactory(priority="urgent", first_response_minutes=30,
                                  resolution_minutes=120, business_hours_only=False)  # fmt: skip
        ticket = TicketFactory(priority="urgent")
        due = ticket.resolution_due_at

    response = api_a.patch(f"/api/v1/isp/sla-policies/{policy.pk}/", {"resolution_minutes": 240},
                           content_type="application/json")  # fmt: skip

    assert response.status_code == 200, response.content
    with schema_context(tenant_a.schema_name):
        ticket.refresh_from_db()
        assert SlaPolicy.objects.get().resolution_minutes == 240
    assert 7150 < (ticket.resolution_due_at - due).total_seconds() < 7250  # two hours later


def test_the_queue_filters_by_status_priority_and_mine(api_a, in_tenant_a):
    from django.contrib.auth import get_user_model

    owner = get_user_model().objects.get(username="owner")
    mine = TicketFactory(priority="urgent", assignee=owner)
    TicketFactory(priority="low")

    urgent = api_a.get(f"{TICKETS}?priority=urgent&mine=true&open=true")
    bad = api_a.get(f"{TICKETS}?priority=whenever")

    assert [item["id"] for item in urgent.json()["data"]] == [str(mine.pk)]
    assert bad.status_code == 400


# --- the portal ---------------------------------------------------------------------------------


@pytest.fixture
def jane(in_tenant_a):
    customer = CustomerFactory(name="Jane Doe", email="jane@example.com")
    return customer, customer_user(TENANTS["a"], "jane-portal", linked_to=customer)


def test_the_portal_never_shows_internal_notes_and_another_customers_ticket_is_404(jane):
    customer, api = jane
    own = TicketFactory(customer=customer)
    support.ticket_reply(ticket=own, body="We are on it.")
    support.ticket_reply(ticket=own, body="Customer is rude", internal=True)
    others = TicketFactory(customer=CustomerFactory())

    listed = api.get(f"{PORTAL}/tickets/")
    shown = api.get(f"{PORTAL}/tickets/{own.pk}/")
    foreign = api.get(f"{PORTAL}/tickets/{others.pk}/")
    foreign_reply = api.post_json(f"{PORTAL}/tickets/{others.pk}/reply/", {"body": "hi"})

    assert [item["id"] for item in listed.json()["data"]] == [str(own.pk)]
    replies = shown.json()["data"]["attributes"]["replies"]
    assert [reply["body"] for reply in replies] == ["We are on it."]
    assert "rude" not in shown.content.decode()
    assert foreign.status_code == 404
    assert foreign_reply.status_code == 404
    assert others.replies.count() == 0


def test_a_customer_opens_a_ticket_about_their_service_and_replies(
    jane, django_capture_on_commit_callbacks
):
    customer, api = jane
    service = ServiceFactory(customer=customer)
    someone_elses = ServiceFactory()

    with django_capture_on_commit_callbacks(execute=True):
        opened = api.post_json(f"{PORTAL}/tickets/", {"subject": "Down", "description": "Help",
                                                      "service": service.pk})  # fmt: skip
    refused = api.post_json(f"{PORTAL}/tickets/", {"subject": "Down", "description": "Help",
                                                   "service": someone_elses.pk})  # fmt: skip

    assert opened.status_code == 201, opened.content
    ticket = Ticket.objects.get(pk=opened.json()["data"]["id"])
    assert (ticket.customer, ticket.service, ticket.source) == (customer, service, "portal")
    assert mail.outbox[0].to == ["jane@example.com"]
    assert refused.status_code == 400
    assert Ticket.objects.count() == 1

    support.ticket_resolve(ticket=ticket)
    reply = api.post_json(f"{PORTAL}/tickets/{ticket.pk}/reply/", {"body": "Down again."})
    assert reply.status_code == 201, reply.content
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.OPEN  # a reply to a resolved ticket reopens it
    assert ticket.replies.get().from_customer


def test_staff_ticket_api_refuses_a_customer_user(jane):
    _, api = jane

    response = api.get(TICKETS)

    assert response.status_code == 403


def test_an_outage_opens_a_ticket_through_the_service_entry_point(in_tenant_a):
    """The entry point monitoring calls: no acknowledgement mail to any customer."""
    from tests.isp.network_factories import DeviceFactory

    device = DeviceFactory()
    ticket = support.ticket_open(subject="router-1 down", source="outage", device=device,
                                 category="outage", priority="urgent")  # fmt: skip

    assert (ticket.source, ticket.device, ticket.customer) == ("outage", device, None)
    assert Customer.objects.count() == 0
