"""Quotas of file storage and database size (platform.max_storage_mb, platform.max_db_mb): at
80 % the tenant's super admin is warned on its pages, at 100 % every upload path (ticket
attachments by API and page, field photos and signatures) is refused with LIMIT_EXCEEDED and
writes nothing, neither a file nor a row."""

import base64

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django_tenants.utils import schema_context

from apps.core import usage
from apps.core.exceptions import LimitExceededError
from apps.isp.models import TicketAttachment, WorkOrderFile
from apps.isp.services import field
from apps.platform.metering import quotas, services
from tests.isp.factories import CustomerFactory
from tests.isp.pages_data import make_user, sign_in
from tests.isp.support_factories import TicketFactory, WorkOrderFactory
from tests.platform.metering.conftest import measured, set_quota

pytestmark = pytest.mark.django_db
STORAGE, DB = quotas.STORAGE_LIMIT, quotas.DB_LIMIT
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def files_of(tenant) -> set:
    root = services.storage_root(tenant.schema_name)
    return {str(p) for p in root.rglob("*") if p.is_file()} if root.is_dir() else set()


@pytest.fixture
def ticket(tenant_a):
    with schema_context(tenant_a.schema_name):
        return TicketFactory(customer=CustomerFactory())


def attach(api, ticket, content=PNG, name="photo.png"):
    upload = SimpleUploadedFile(name, content, content_type="image/png")
    return api.post(f"/api/v1/isp/tickets/{ticket.pk}/attachments/", {"file": upload})


def test_an_api_upload_past_the_storage_quota_is_a_403_and_writes_nothing(api_a, tenant_a,
                                                                          ticket):  # fmt: skip
    set_quota(tenant_a, STORAGE, 1)
    measured(tenant_a, storage_mb=1)
    files = files_of(tenant_a)

    response = attach(api_a, ticket)

    assert response.status_code == 403, response.content
    error = response.json()["error"]
    assert error["code"] == "LIMIT_EXCEEDED"
    assert "File storage quota reached" in error["message"]
    with schema_context(tenant_a.schema_name):
        assert not TicketAttachment.objects.exists()
    assert files_of(tenant_a) == files
    assert usage.uploaded_since_measure(tenant_a.schema_name) == 0


def test_an_upload_that_would_pass_the_quota_is_refused_one_within_it_is_saved_and_counted(
    api_a, tenant_a, ticket
):
    set_quota(tenant_a, STORAGE, 1)
    measured(tenant_a, storage_mb=0.5)

    small = attach(api_a, ticket)
    big = attach(api_a, ticket, content=PNG + b"\x00" * 600_000, name="big.png")

    assert small.status_code == 201, small.content
    assert usage.uploaded_since_measure(tenant_a.schema_name) == len(PNG)
    assert big.status_code == 403
    assert big.json()["error"]["code"] == "LIMIT_EXCEEDED"
    with schema_context(tenant_a.schema_name):
        assert TicketAttachment.objects.count() == 1
        TicketAttachment.objects.get().file.delete(save=False)


def test_a_page_upload_past_the_quota_says_so_and_writes_nothing(client_a, tenant_a, ticket):
    page = client_a.sign_in()
    set_quota(tenant_a, STORAGE, 1)
    measured(tenant_a, storage_mb=1)
    files = files_of(tenant_a)

    upload = SimpleUploadedFile("log.txt", b"sync lost", content_type="text/plain")
    response = page.post(f"/isp/tickets/{ticket.pk}/attach/", {"file": upload}, follow=True)

    assert "File storage quota reached" in response.content.decode()
    with schema_context(tenant_a.schema_name):
        assert not TicketAttachment.objects.exists()
    assert files_of(tenant_a) == files


def test_field_photos_and_signatures_go_through_the_same_check(tenant_a):
    set_quota(tenant_a, STORAGE, 1)
    measured(tenant_a, storage_mb=1)
    files = files_of(tenant_a)
    signature = "data:image/png;base64," + base64.b64encode(PNG).decode()

    with schema_context(tenant_a.schema_name):
        job = WorkOrderFactory()
        with pytest.raises(LimitExceededError):
            field.work_order_file_add(work_order=job, file=SimpleUploadedFile("p.png", PNG))
        with pytest.raises(LimitExceededError):
            field.work_order_signature_add(work_order=job, data_url=signature)
        assert not WorkOrderFile.objects.exists()
    assert files_of(tenant_a) == files


def test_a_database_at_its_quota_refuses_uploads_too(api_a, tenant_a, ticket):
    set_quota(tenant_a, DB, 10)
    measured(tenant_a, db_mb=10)

    response = attach(api_a, ticket)

    assert response.status_code == 403
    assert "Database quota reached" in response.json()["error"]["message"]


def test_without_a_quota_in_any_plan_storage_is_unlimited(api_a, tenant_a, ticket):
    set_quota(tenant_a, STORAGE, None)
    set_quota(tenant_a, DB, None)
    measured(tenant_a, storage_mb=10**6, db_mb=10**6)

    response = attach(api_a, ticket)

    assert response.status_code == 201, response.content
    assert quotas.quota_notices(tenant_a.schema_name) == []
    with schema_context(tenant_a.schema_name):
        TicketAttachment.objects.get().file.delete(save=False)


def test_at_80_percent_the_super_admin_is_warned_on_billing_and_app_pages(client_a, tenant_a):
    set_quota(tenant_a, STORAGE, 100)
    measured(tenant_a, storage_mb=85)
    owner = client_a.sign_in()

    billing = owner.get("/billing/").content.decode()
    usage_page = owner.get("/billing/usage/").content.decode()
    app_page = owner.get("/isp/").content.decode()

    for html in (billing, usage_page, app_page):
        assert "File storage: 85 % of the 100 MB quota used" in html
    assert 'data-testid="quota-notice"' in app_page


def test_the_warning_is_for_the_super_admin_only_and_only_from_80_percent(client_a, tenant_a):
    set_quota(tenant_a, STORAGE, 100)
    measured(tenant_a, storage_mb=85)
    with schema_context(tenant_a.schema_name):
        make_user("sarah", "IT Manager")
    staff = sign_in(client_a, "sarah")

    assert "quota-notice" not in staff.get("/isp/").content.decode()

    measured(tenant_a, storage_mb=79)
    assert quotas.quota_notices(tenant_a.schema_name) == []
    measured(tenant_a, storage_mb=100)
    (notice,) = quotas.quota_notices(tenant_a.schema_name)
    assert notice.over
    assert "uploads are refused" in str(notice)
