"""The field-work API: work orders for staff, a technician's own jobs (others' are 404s), the
status flow (forbidden moves are 409 CONFLICT and write nothing; a failure needs a reason),
idempotent status changes, completing an installation (the service is activated and billed, its
CPE assigned), photos and the signature."""

import base64
import datetime

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from django_tenants.utils import schema_context

from apps.isp.models import Device, Invoice, Service, WorkOrder, WorkOrderEvent, WorkOrderFile
from apps.isp.services import field
from tests.conftest import TENANTS, HostClient, host_of, obtain_tokens
from tests.isp.factories import CustomerFactory, ServiceFactory, ServicePlanFactory
from tests.isp.network_factories import DeviceFactory
from tests.isp.support_factories import (
    TECH_PASSWORD,
    WorkOrderFactory,
    agent,
    installation,
    technician,
)
from tests.resource_base import ResourceTests

pytestmark = pytest.mark.django_db
WORK_ORDERS = "/api/v1/isp/work-orders/"
JOBS = "/api/v1/isp/tech/jobs/"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def tech_api(slug: str, username: str) -> HostClient:
    client = HostClient(host_of(slug))
    return client.authenticate(obtain_tokens(client, username, TECH_PASSWORD)["access"])


def iso(value: datetime.datetime) -> str:
    return value.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


#: The job actions (staff and technician API alike), with a body each would accept.
JOB_ACTIONS = {
    "status": {"status": "en_route"},
    "checklist": {"item": 1, "done": True},
    "notes": {"text": "Gate code 1234"},
    "parts": {"description": "Patch cable", "quantity": 1},
    "signature": {"signature": "data:image/png;base64,iVBORw0KGgo="},
}


class JobActionChecks:
    """Another tenant's job is a 404 to every action, and an outsider is refused: nothing
    written either way (the job, its checklist, notes, parts and files as they were)."""

    def act(self, client, pk, action: str):
        url = f"{self.path}{pk}/{action}/"
        if action == "photos":
            return client.post(url, {"file": SimpleUploadedFile("p.png", PNG, "image/png")})
        return client.post_json(url, JOB_ACTIONS[action])

    @staticmethod
    def traces(job) -> tuple:
        return (job.events.count(), job.parts.count(), job.files.count(),
                job.checklist.filter(done=True).count())  # fmt: skip

    @pytest.mark.parametrize("action", [*JOB_ACTIONS, "photos"])
    def test_another_tenants_job_actions_are_not_found_and_write_nothing(self, api, action):
        foreign = self.foreign_row("tenant-b")
        before = self.state(foreign.pk, "tenant-b")
        with schema_context(self.schema_of("tenant-b")):
            traces = self.traces(foreign)

        self.error(self.act(api, foreign.pk, action), 404, "NOT_FOUND", action)
        assert self.state(foreign.pk, "tenant-b") == before
        with schema_context(self.schema_of("tenant-b")):
            assert self.traces(foreign) == traces

    @pytest.mark.parametrize("action", [*JOB_ACTIONS, "photos"])
    def test_an_outsider_may_not_act_on_a_job(self, outsider_api, action):
        job = self.row()
        before = self.state(job.pk)

        self.error(self.act(outsider_api, job.pk, action), 403, "PERMISSION_DENIED", action)
        assert self.state(job.pk) == before


class TestWorkOrderResource(JobActionChecks, ResourceTests):
    path = WORK_ORDERS
    resource_type = "work_order"
    factory = WorkOrderFactory
    operations = {"list", "retrieve", "create", "update"}
    update_data = {"instructions": "Ring twice; the dog is friendly."}

    def create_data(self):
        start = timezone.now().replace(microsecond=0, second=0) + datetime.timedelta(days=1)
        return {"kind": "repair", "customer": CustomerFactory().pk, "slot_start": iso(start),
                "slot_end": iso(start + datetime.timedelta(hours=2))}  # fmt: skip


class TestTechJobResource(JobActionChecks, ResourceTests):
    """As a technician: their own jobs only."""

    path = JOBS
    resource_type = "job"
    factory = WorkOrderFactory
    operations = {"list", "retrieve"}
    outsider_role = "IT Manager"  # the ISP's staff side, but not the technician app
    username = "tech-jobs"

    @pytest.fixture(autouse=True)
    def _a_technician_in_each_isp_tenant(self, tenant_a, tenant_b):
        for tenant in (tenant_a, tenant_b):
            with schema_context(tenant.schema_name):
                technician(self.username)

    @pytest.fixture
    def api(self, _a_technician_in_each_isp_tenant):
        return self.tenant_api(TENANTS["a"])

    def tenant_api(self, slug: str) -> HostClient:
        return tech_api(slug, self.username)

    def make(self, **fields):
        tech = get_user_model().objects.get(username=self.username)
        return self.factory(technician=tech, **fields)


# --- behaviour ----------------------------------------------------------------------------------


@pytest.fixture
def tom(in_tenant_a):
    return technician("tom-field")


@pytest.fixture
def tom_api(tom):
    return tech_api(TENANTS["a"], "tom-field")


def status(api, job, to, key="", **data):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    return api.post_json(f"{JOBS}{job.pk}/status/", {"status": to, **data}, **headers)


def test_another_technicians_job_is_not_found_and_untouched(tom_api):
    other = WorkOrderFactory(technician=technician("someone-else"))

    assert tom_api.get(f"{JOBS}{other.pk}/").status_code == 404
    assert status(tom_api, other, "en_route").status_code == 404
    other.refresh_from_db()
    assert other.status == "scheduled"


def test_a_technician_may_not_use_the_staff_work_order_api(tom_api):
    response = tom_api.get(WORK_ORDERS)

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "PERMISSION_DENIED"


def test_the_jobs_are_listed_in_time_order(tom, tom_api):
    now = timezone.now().replace(minute=0, second=0, microsecond=0)
    late = WorkOrderFactory(technician=tom, slot_start=now + datetime.timedelta(hours=3),
                            slot_end=now + datetime.timedelta(hours=4))  # fmt: skip
    early = WorkOrderFactory(technician=tom, slot_start=now + datetime.timedelta(hours=1),
                             slot_end=now + datetime.timedelta(hours=2))  # fmt: skip

    listed = tom_api.get(JOBS).json()["data"]

    assert [item["id"] for item in listed] == [str(early.pk), str(late.pk)]
    assert listed[0]["attributes"]["address"]


def test_a_replayed_status_change_is_applied_once(tom, tom_api):
    job = WorkOrderFactory(technician=tom)

    first = status(tom_api, job, "en_route", key="job-1-en-route-abc")
    replay = status(tom_api, job, "en_route", key="job-1-en-route-abc")

    assert first.status_code == replay.status_code == 200
    assert "Idempotent-Replayed" not in first
    assert replay["Idempotent-Replayed"] == "true"
    assert WorkOrderEvent.objects.filter(work_order=job).count() == 1
    reused = status(tom_api, job, "on_site", key="job-1-en-route-abc")
    assert reused.status_code == 409
    job.refresh_from_db()
    assert job.status == "en_route"


def test_a_forbidden_move_is_a_conflict_and_writes_nothing(tom, tom_api):
    job = WorkOrderFactory(technician=tom)
    before = WorkOrder.objects.filter(pk=job.pk).values().get()

    response = status(tom_api, job, "completed", key="skip-ahead-123")

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "CONFLICT"
    assert WorkOrder.objects.filter(pk=job.pk).values().get() == before
    assert not WorkOrderEvent.objects.exists()


def test_a_failure_needs_a_reason(tom, tom_api):
    job = WorkOrderFactory(technician=tom)

    refused = status(tom_api, job, "failed")
    failed = status(tom_api, job, "failed", reason="Nobody home")

    assert refused.status_code == 400
    assert refused.json()["error"]["details"][0]["field"] == "reason"
    assert failed.status_code == 200
    job.refresh_from_db()
    assert (job.status, job.failure_reason) == ("failed", "Nobody home")


def test_completing_an_installation_activates_the_service_and_assigns_its_cpe(tom, tom_api):
    plan = ServicePlanFactory()
    customer = CustomerFactory()
    service = ServiceFactory(customer=customer, plan=plan)
    job = installation(technician=tom, service=service)
    cpe = DeviceFactory(name="ont-77", role=Device.Role.CPE)
    assert tom_api.post_json(f"{JOBS}{job.pk}/parts/", {"device": cpe.pk}).status_code == 201
    assert status(tom_api, job, "en_route", key="i-1").status_code == 200
    assert status(tom_api, job, "on_site", key="i-2").status_code == 200

    refused = status(tom_api, job, "completed", key="i-3")
    assert refused.status_code == 400  # the checklist is not done
    for item in job.checklist.all():
        tick = tom_api.post_json(f"{JOBS}{job.pk}/checklist/", {"item": item.pk, "done": True})
        assert tick.status_code == 200
    done = status(tom_api, job, "completed", key="i-3b")

    assert done.status_code == 200, done.content
    service.refresh_from_db()
    cpe.refresh_from_db()
    assert service.status == Service.Status.ACTIVE
    assert Invoice.objects.filter(customer=customer).count() == 1  # setup fee and first period
    assert cpe.service == service
    assert status(tom_api, job, "completed", key="i-3b")["Idempotent-Replayed"] == "true"
    assert Invoice.objects.filter(customer=customer).count() == 1


def test_photos_and_the_signature_are_kept_and_bad_ones_refused(tom, tom_api, tenant_a):
    job = WorkOrderFactory(technician=tom)
    photo = SimpleUploadedFile("p.png", PNG, content_type="image/png")
    text = SimpleUploadedFile("p.png", b"hello", content_type="image/png")
    signature = "data:image/png;base64," + base64.b64encode(PNG).decode()

    assert tom_api.post(f"{JOBS}{job.pk}/photos/", {"file": photo}).status_code == 201
    assert tom_api.post(f"{JOBS}{job.pk}/photos/", {"file": text}).status_code == 400
    signed = tom_api.post_json(f"{JOBS}{job.pk}/signature/", {"signature": signature})
    bad = tom_api.post_json(f"{JOBS}{job.pk}/signature/", {"signature": "data:text/html,<b>"})

    assert signed.status_code == 201, signed.content
    assert bad.status_code == 400
    kinds = sorted(WorkOrderFile.objects.filter(work_order=job).values_list("kind", flat=True))
    assert kinds == ["photo", "signature"]
    assert f"/tenants/{tenant_a.schema_name}/field/jobs/{job.pk}/" in (
        WorkOrderFile.objects.filter(kind="signature").get().file.path
    )


def test_a_job_goes_to_a_technician_only(api_a, in_tenant_a):
    sarah = agent("sarah-field")
    start = timezone.now() + datetime.timedelta(days=1)

    end = start + datetime.timedelta(hours=1)
    response = api_a.post_json(WORK_ORDERS, {
        "kind": "repair", "customer": CustomerFactory().pk, "technician": sarah.pk,
        "slot_start": iso(start), "slot_end": iso(end)})  # fmt: skip

    assert response.status_code == 400
    assert response.json()["error"]["details"][0]["field"] == "technician"
    assert not WorkOrder.objects.exists()


def test_rescheduling_keeps_the_slot_length_and_a_finished_job_is_not_moved(api_a, in_tenant_a):
    job = WorkOrderFactory()
    later = job.slot_start + datetime.timedelta(days=1)

    moved = api_a.patch(f"{WORK_ORDERS}{job.pk}/", {"slot_start": iso(later)},
                        content_type="application/json")  # fmt: skip
    field.work_order_transition(work_order=job, to="cancelled")
    refused = api_a.patch(f"{WORK_ORDERS}{job.pk}/", {"slot_start": iso(job.slot_start)},
                          content_type="application/json")  # fmt: skip

    assert moved.status_code == 200, moved.content
    job.refresh_from_db()
    assert job.slot_end - job.slot_start == datetime.timedelta(hours=2)
    assert refused.status_code == 409
