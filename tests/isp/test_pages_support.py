"""The support and field-work pages: the staff queue (filters, saved views, constant queries),
a ticket's page and its actions, the dispatcher's board; the portal's own tickets (internal
notes never shown); the technician app (own jobs only). Who may open each; tenant isolation."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from django_tenants.utils import schema_context

from apps.isp.models import SavedTicketView, Ticket, WorkOrder, WorkOrderEvent
from apps.isp.services import support
from tests.isp.factories import CustomerFactory
from tests.isp.pages_data import PASSWORD, make_user, queries_of, sign_in
from tests.isp.support_factories import TicketFactory, WorkOrderFactory, technician
from tests.isp.test_api_portal import PASSWORD as PORTAL_PASSWORD
from tests.isp.test_api_portal import customer_user

STAFF_PATHS = ["/isp/tickets/", "/isp/tickets/new/", "/isp/dispatch/", "/isp/dispatch/new/"]


@pytest.fixture
def staff_a(client_a):
    return client_a.sign_in()


def text(response) -> str:
    return response.content.decode()


@pytest.mark.parametrize("path", STAFF_PATHS)
def test_staff_support_pages_need_sign_in_and_an_isp_role(client_a, in_tenant_a, path):
    anonymous = client_a.get(path)
    make_user("mike", "Sales Rep")
    sales_rep = sign_in(client_a, "mike").get(path)

    assert anonymous.status_code == 302
    assert sales_rep.status_code == 403


@pytest.mark.parametrize("path", STAFF_PATHS)
def test_staff_support_pages_open_for_staff(staff_a, in_tenant_a, path):
    assert staff_a.get(path).status_code == 200


def test_the_queue_filters_and_its_query_count_does_not_grow(staff_a, in_tenant_a):
    TicketFactory(subject="Urgent fibre cut", priority="urgent")
    TicketFactory(subject="Invoice question", priority="low", category="billing")
    few = queries_of(staff_a, "/isp/tickets/")
    for _ in range(15):
        TicketFactory(team=None)

    many = queries_of(staff_a, "/isp/tickets/")
    urgent = text(staff_a.get("/isp/tickets/?priority=urgent"))

    assert many == few
    assert "Urgent fibre cut" in urgent
    assert "Invoice question" not in urgent


def test_a_saved_view_is_kept_and_listed(staff_a, in_tenant_a):
    response = staff_a.post("/isp/tickets/views/", {"name": "Urgent", "query": "priority=urgent"})

    assert response.status_code == 302
    view = SavedTicketView.objects.get()
    assert view.query == "priority=urgent"
    assert "/isp/tickets/?priority=urgent" in text(staff_a.get("/isp/tickets/"))
    assert staff_a.post(f"/isp/tickets/views/{view.pk}/delete/").status_code == 302
    assert not SavedTicketView.objects.exists()


def test_staff_open_a_ticket_reply_note_resolve_on_its_page(staff_a, in_tenant_a):
    customer = CustomerFactory()

    created = staff_a.post("/isp/tickets/new/", {"subject": "No sync", "description": "Red",
                                                 "customer": customer.pk, "category": "technical",
                                                 "priority": "high"})  # fmt: skip
    ticket = Ticket.objects.get()
    base = f"/isp/tickets/{ticket.pk}/"
    staff_a.post(f"{base}reply/", {"body": "We are on it."})
    staff_a.post(f"{base}reply/", {"body": "Check the OLT port", "internal": "on"})
    upload = SimpleUploadedFile("log.txt", b"sync lost at 10:02", content_type="text/plain")
    staff_a.post(f"{base}attach/", {"file": upload})
    page = text(staff_a.get(base))
    resolved = staff_a.post(f"{base}resolve/")
    again = staff_a.post(f"{base}resolve/", follow=True)

    assert created.status_code == 302
    assert (ticket.customer, ticket.priority) == (customer, "high")
    assert "We are on it." in page
    assert "Internal note" in page
    assert "log.txt" in page
    assert resolved.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == "resolved"
    assert "already resolved" in text(again)
    file = ticket.attachments.get()
    download = staff_a.get(f"{base}files/{file.pk}/")
    assert b"".join(download.streaming_content) == b"sync lost at 10:02"


def test_an_unknown_ticket_action_is_a_404(staff_a, in_tenant_a):
    ticket = TicketFactory()

    assert staff_a.post(f"/isp/tickets/{ticket.pk}/explode/").status_code == 404


def test_another_tenants_ticket_and_job_are_404s_on_the_pages(client_b, tenant_a):
    with schema_context(tenant_a.schema_name):
        ticket = TicketFactory()
        job = WorkOrderFactory()
    client_b.sign_in()

    assert client_b.get(f"/isp/tickets/{ticket.pk}/").status_code == 404
    assert client_b.post(f"/isp/tickets/{ticket.pk}/resolve/").status_code == 404
    assert client_b.post(f"/isp/dispatch/{job.pk}/move/", {"day": "2030-01-01"}).status_code == 404
    with schema_context(tenant_a.schema_name):
        ticket.refresh_from_db()
        assert ticket.status == "new"


def test_the_board_shows_the_week_by_technician_and_moves_a_job(staff_a, in_tenant_a):
    tom, ann = technician("tom-board"), technician("ann-board")
    job = WorkOrderFactory(technician=tom)
    monday = timezone.localdate() - datetime.timedelta(days=timezone.localdate().weekday())

    board = text(staff_a.get(f"/isp/dispatch/?week={monday.isoformat()}"))
    tomorrow = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()
    moved = staff_a.post(f"/isp/dispatch/{job.pk}/move/", {"technician": ann.pk, "day": tomorrow,
                                                          "time": "14:30"})  # fmt: skip
    refused = staff_a.post(f"/isp/dispatch/{job.pk}/move/", {"day": "not-a-day"}, follow=True)

    assert f'id="job-{job.pk}"' in board
    assert "tom-board" in board
    assert moved.status_code == 302
    job.refresh_from_db()
    assert job.technician == ann
    assert timezone.localtime(job.slot_start).strftime("%Y-%m-%d %H:%M") == f"{tomorrow} 14:30"
    assert job.slot_end - job.slot_start == datetime.timedelta(hours=2)
    assert "A day (YYYY-MM-DD)" in text(refused)


# --- the portal ---------------------------------------------------------------------------------


def test_the_portal_lists_own_tickets_and_never_shows_internal_notes(client_a, in_tenant_a):
    customer = CustomerFactory(name="Jane Doe")
    customer_user("tenant-a", "jane-pages", linked_to=customer)
    own = TicketFactory(customer=customer, subject="My Wi-Fi")
    support.ticket_reply(ticket=own, body="Restart it please.")
    support.ticket_reply(ticket=own, body="SECRET NOTE", internal=True)
    other = TicketFactory(subject="Someone else")
    client_a.post("/login/", {"username": "jane-pages", "password": PORTAL_PASSWORD})

    listed = text(client_a.get("/portal/tickets/"))
    detail = text(client_a.get(f"/portal/tickets/{own.pk}/"))
    foreign = client_a.get(f"/portal/tickets/{other.pk}/")
    replied = client_a.post(f"/portal/tickets/{own.pk}/reply/", {"body": "Done, still slow."})
    created = client_a.post("/portal/tickets/new/", {"subject": "Bill", "description": "Why?",
                                                     "category": "billing"})  # fmt: skip

    assert "My Wi-Fi" in listed
    assert "Someone else" not in listed
    assert "Restart it please." in detail
    assert "SECRET NOTE" not in detail
    assert foreign.status_code == 404
    assert replied.status_code == 302
    assert own.replies.filter(from_customer=True).exists()
    assert created.status_code == 302
    assert Ticket.objects.filter(customer=customer, source="portal", subject="Bill").exists()
    assert client_a.post(f"/portal/tickets/{other.pk}/reply/", {"body": "x"}).status_code == 404


def test_staff_pages_refuse_a_customer_user(client_a, in_tenant_a):
    customer_user("tenant-a", "jane-refused", linked_to=CustomerFactory())
    client_a.post("/login/", {"username": "jane-refused", "password": PORTAL_PASSWORD})

    assert client_a.get("/isp/tickets/").status_code == 403


# --- the technician app -------------------------------------------------------------------------


@pytest.fixture
def tom(client_a, in_tenant_a):
    user = technician("tom-pages", PASSWORD)
    sign_in(client_a, "tom-pages")
    return user


def test_tom_sees_his_jobs_of_today_in_time_order_and_no_one_elses(client_a, tom):
    now = timezone.localtime().replace(minute=0, second=0, microsecond=0)
    start = now.replace(hour=8)
    late = WorkOrderFactory(technician=tom, slot_start=start + datetime.timedelta(hours=6),
                            slot_end=start + datetime.timedelta(hours=7),
                            customer=CustomerFactory(name="Late Larry"))  # fmt: skip
    early = WorkOrderFactory(technician=tom, slot_start=start, slot_end=start +
                             datetime.timedelta(hours=1),
                             customer=CustomerFactory(name="Early Eve"))  # fmt: skip
    other = WorkOrderFactory(technician=technician("bob-pages"),
                             customer=CustomerFactory(name="Other Olga"))  # fmt: skip

    page = text(client_a.get("/tech/"))

    assert page.index("Early Eve") < page.index("Late Larry")
    assert "Other Olga" not in page
    assert "openstreetmap.org" in page
    assert client_a.get(f"/tech/jobs/{other.pk}/").status_code == 404
    assert (
        client_a.post(f"/tech/jobs/{other.pk}/status/", {"status": "en_route"}).status_code == 404
    )
    assert client_a.get(f"/tech/jobs/{early.pk}/").status_code == 200
    assert late.pk != early.pk


def test_tom_opens_no_other_app(client_a, tom):
    for path in ("/isp/", "/isp/tickets/", "/portal/", "/crm/"):
        assert client_a.get(path).status_code == 403, path


def test_the_job_page_has_the_camera_input_and_a_status_form_replayed_once(client_a, tom):
    job = WorkOrderFactory(technician=tom)

    page = text(client_a.get(f"/tech/jobs/{job.pk}/"))
    key = page.split('name="idempotency_key" value="')[1].split('"')[0]
    for _ in range(2):
        client_a.post(f"/tech/jobs/{job.pk}/status/", {"status": "en_route",
                                                        "idempotency_key": key})  # fmt: skip

    assert 'accept="image/*" capture' in page
    job.refresh_from_db()
    assert job.status == WorkOrder.Status.EN_ROUTE
    assert WorkOrderEvent.objects.filter(work_order=job).count() == 1


def test_the_service_worker_is_served_under_tech_with_a_policy_that_lets_it_fetch(client_a, tom):
    response = client_a.get("/tech/sw.js")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    policy = response["Content-Security-Policy"]
    assert "connect-src 'self'" in policy
    assert "default-src 'none'" in policy
    assert b"indexedDB" in response.content


def test_another_tenants_job_is_a_404_in_the_technician_app(client_b, tenant_a, tenant_b):
    with schema_context(tenant_a.schema_name):
        job = WorkOrderFactory(technician=technician("tom-cross"))
    with schema_context(tenant_b.schema_name):
        technician("tom-cross", PASSWORD)
    sign_in(client_b, "tom-cross")

    assert client_b.get(f"/tech/jobs/{job.pk}/").status_code == 404
