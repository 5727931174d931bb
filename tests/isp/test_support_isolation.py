"""What the other support and field-work tests left out: the generic resource checks of the SLA
policies and business hours (cross-tenant 404s, permissions, licence, audit, query counts), and
for every support and technician page that takes an id — a ticket's files, a saved view's
delete, the portal's ticket pages and files, a job's status action — another tenant's id is a
404 that writes nothing, and a user whose roles do not open the area is refused."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django_tenants.utils import schema_context

from apps.isp.models import BusinessHours, SavedTicketView, SlaPolicy, TicketReply, WorkOrder
from apps.isp.services import support
from tests.isp.coa_data import move_isp_to
from tests.isp.factories import CustomerFactory
from tests.isp.pages_data import PASSWORD, make_user, sign_in
from tests.isp.support_factories import TicketFactory, WorkOrderFactory, technician
from tests.isp.test_api_portal import PASSWORD as PORTAL_PASSWORD
from tests.isp.test_api_portal import customer_user
from tests.resource_base import ResourceTests

pytestmark = pytest.mark.django_db
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PRIORITIES = ("low", "normal", "high")


@pytest.fixture
def on_pro(db, django_capture_on_commit_callbacks):
    """ISP Pro (isp.sla) for both tenants the resource checks use."""
    for slug in ("tenant-a", "tenant-b"):
        move_isp_to(slug, "pro", django_capture_on_commit_callbacks)


class TestSlaPolicyResource(ResourceTests):
    path = "/api/v1/isp/sla-policies/"
    resource_type = "sla_policy"
    model = SlaPolicy
    create_data = {"name": "Urgent", "priority": "urgent", "first_response_minutes": 15,
                   "resolution_minutes": 240, "business_hours_only": False}  # fmt: skip
    update_data = {"resolution_minutes": 300}
    query_count_sizes = (1, 3)  # one policy per priority: at most four

    @pytest.fixture(autouse=True)
    def _on_pro(self, on_pro):
        pass

    def make(self, **fields):
        used = set(SlaPolicy.objects.values_list("priority", flat=True))
        priority = next(p for p in PRIORITIES if p not in used)
        return SlaPolicy.objects.create(
            name=f"{priority} priority",
            priority=priority,
            first_response_minutes=60,
            resolution_minutes=480,
        )


class TestBusinessHoursResource(ResourceTests):
    path = "/api/v1/isp/business-hours/"
    resource_type = "business_hours"
    model = BusinessHours
    create_data = {"weekday": 6, "opens": "10:00:00", "closes": "14:00:00"}
    update_data = {"closes": "17:00:00"}
    query_count_sizes = (2, 5)  # one row per weekday

    def make(self, **fields):
        used = set(BusinessHours.objects.values_list("weekday", flat=True))
        weekday = next(d for d in range(6) if d not in used)
        return BusinessHours.objects.create(weekday=weekday, opens="08:00", closes="18:00")


# --- pages: another tenant's ids ----------------------------------------------------------------


def _ticket_with_file(customer=None):
    ticket = TicketFactory(customer=customer or CustomerFactory())
    attachment = support.attachment_add(
        ticket=ticket, file=SimpleUploadedFile("photo.png", PNG, content_type="image/png")
    )
    return ticket, attachment


def test_another_tenants_ticket_file_and_saved_view_are_404s_for_staff(client_b, tenant_a):
    with schema_context(tenant_a.schema_name):
        ticket, attachment = _ticket_with_file()
        owner = make_user("agent-files", "IT Manager")
        view = SavedTicketView.objects.create(owner=owner, name="Mine", query="mine=true")
    staff_b = client_b.sign_in()

    download = staff_b.get(f"/isp/tickets/{ticket.pk}/files/{attachment.pk}/")
    delete = staff_b.post(f"/isp/tickets/views/{view.pk}/delete/")
    reply = staff_b.post(f"/isp/tickets/{ticket.pk}/reply/", {"body": "From B"})

    assert (download.status_code, delete.status_code, reply.status_code) == (404, 404, 404)
    with schema_context(tenant_a.schema_name):
        assert SavedTicketView.objects.filter(pk=view.pk).exists()
        assert not TicketReply.objects.filter(ticket=ticket).exists()


def test_another_tenants_ticket_is_a_404_in_the_portal(client_b, tenant_a, tenant_b):
    with schema_context(tenant_a.schema_name):
        ticket, attachment = _ticket_with_file()
    with schema_context(tenant_b.schema_name):
        customer_user("tenant-b", "jane-cross", linked_to=CustomerFactory())
    client_b.post("/login/", {"username": "jane-cross", "password": PORTAL_PASSWORD})

    detail = client_b.get(f"/portal/tickets/{ticket.pk}/")
    download = client_b.get(f"/portal/tickets/{ticket.pk}/files/{attachment.pk}/")
    reply = client_b.post(f"/portal/tickets/{ticket.pk}/reply/", {"body": "From B"})

    assert client_b.get("/portal/tickets/").status_code == 200  # signed in, her portal opens
    assert (detail.status_code, download.status_code, reply.status_code) == (404, 404, 404)
    with schema_context(tenant_a.schema_name):
        assert not TicketReply.objects.filter(ticket=ticket).exists()


def test_another_tenants_job_status_action_is_a_404_and_changes_nothing(
    client_b, tenant_a, tenant_b
):
    with schema_context(tenant_a.schema_name):
        job = WorkOrderFactory(technician=technician("tom-action"))
    with schema_context(tenant_b.schema_name):
        technician("tom-action", PASSWORD)
    sign_in(client_b, "tom-action")

    moved = client_b.post(f"/tech/jobs/{job.pk}/status/", {"status": "en_route"})

    assert moved.status_code == 404
    with schema_context(tenant_a.schema_name):
        assert WorkOrder.objects.get(pk=job.pk).status == WorkOrder.Status.SCHEDULED


# --- pages: who may open them -------------------------------------------------------------------


def test_staff_ticket_pages_with_an_id_refuse_a_sales_rep_and_a_technician(client_a, in_tenant_a):
    ticket, attachment = _ticket_with_file()
    job = WorkOrderFactory()
    make_user("mike-ids", "Sales Rep")
    technician("tom-ids", PASSWORD)
    pages = [
        ("get", f"/isp/tickets/{ticket.pk}/"),
        ("get", f"/isp/tickets/{ticket.pk}/files/{attachment.pk}/"),
        ("post", f"/isp/tickets/{ticket.pk}/resolve/"),
        ("post", f"/isp/dispatch/{job.pk}/move/"),
    ]

    for username in ("mike-ids", "tom-ids"):
        client = sign_in(client_a, username)
        for method, path in pages:
            assert getattr(client, method)(path).status_code == 403, (username, path)
        client.logout()
    ticket.refresh_from_db()
    assert ticket.status == "new"


def test_portal_ticket_pages_need_sign_in_and_the_portal(client_a, in_tenant_a):
    customer = CustomerFactory()
    ticket, attachment = _ticket_with_file(customer)
    make_user("mike-portal", "Sales Rep")
    paths = ["/portal/tickets/", "/portal/tickets/new/", f"/portal/tickets/{ticket.pk}/",
             f"/portal/tickets/{ticket.pk}/files/{attachment.pk}/"]  # fmt: skip

    anonymous = [client_a.get(path).status_code for path in paths]
    sales_rep = sign_in(client_a, "mike-portal")
    refused = [sales_rep.get(path).status_code for path in paths]
    replied = sales_rep.post(f"/portal/tickets/{ticket.pk}/reply/", {"body": "x"})

    assert anonymous == [302] * len(paths)
    assert refused == [403] * len(paths)
    assert replied.status_code == 403
    assert not TicketReply.objects.filter(ticket=ticket).exists()


def test_the_technician_app_needs_sign_in_and_the_tech_area(client_a, in_tenant_a):
    job = WorkOrderFactory(technician=technician("tom-area", PASSWORD))
    make_user("sarah-area", "IT Manager")
    paths = ["/tech/", f"/tech/jobs/{job.pk}/"]

    anonymous = [client_a.get(path).status_code for path in paths]
    staff = sign_in(client_a, "sarah-area")
    refused = [staff.get(path).status_code for path in paths]
    moved = staff.post(f"/tech/jobs/{job.pk}/status/", {"status": "en_route"})

    assert anonymous == [302, 302]
    assert refused == [403, 403]
    assert moved.status_code == 403
    job.refresh_from_db()
    assert job.status == WorkOrder.Status.SCHEDULED
