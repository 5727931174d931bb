"""The CoA sends on a real Celery worker, in the tenant's schema (tenant-schemas-celery), and the
sweep's fan-out over the tenants licensed for RADIUS."""

import time
import uuid

import pytest
from django.db import connection
from django_tenants.utils import schema_context

from apps.isp import tasks
from apps.isp.models import AuthorizationChange, TimelineEvent
from apps.isp.services.subscriptions import service_suspend
from apps.platform.catalog.models import Plan
from apps.platform.licensing import services as licensing
from apps.platform.licensing.models import Subscription
from apps.platform.tenants import schemas
from apps.platform.tenants.models import Tenant
from apps.platform.tenants.services import tenant_create_now
from tests.committed import committed
from tests.isp.coa_data import SECRET, make_nas, move_isp_to, open_session
from tests.isp.factories import active_service
from tests.isp.radius_nas import FakeNas


@pytest.fixture
def radius_tenant(django_db_setup, django_db_blocker):
    """A committed tenant of the test's own, on ISP Pro (isp.radius); dropped afterwards."""
    slug = f"coa-{uuid.uuid4().hex[:8]}"

    def create():
        tenant = tenant_create_now(
            name="CoA", slug=slug, admin_username="owner", admin_email=f"owner@{slug}.example.com",
            admin_password="correct-horse-battery", apps=("isp",),
        )  # fmt: skip
        licensing.subscription_change_plan(
            subscription=Subscription.objects.get(tenant=tenant, app__key="isp"),
            plan=Plan.objects.get(app__key="isp", key="pro"),
            actor="test",
        )
        return tenant

    with django_db_blocker.unblock():
        tenant = committed(create)
    yield tenant

    def remove():
        schemas.drop_schema(tenant.schema_name)
        Tenant.objects.filter(pk=tenant.pk).delete()

    with django_db_blocker.unblock():
        committed(remove)


@pytest.mark.slow
def test_a_suspension_is_disconnected_by_a_real_worker(radius_tenant, db, celery_worker, settings):
    settings.RADIUS_COA_TIMEOUT = 0.5
    schema = radius_tenant.schema_name
    with FakeNas(SECRET) as fake_nas:

        def suspend_a_connected_service():
            with schema_context(schema):
                service = active_service()
                open_session(service, make_nas(fake_nas.port, name="bras-worker"))
                service_suspend(service=service)
                return service.pk

        service_id = committed(suspend_a_connected_service)
        deadline = time.monotonic() + 30
        with schema_context(schema):
            change = AuthorizationChange.objects.get(service_id=service_id)
            while time.monotonic() < deadline and change.status == "pending":
                time.sleep(0.1)
                change.refresh_from_db()
            events = list(
                TimelineEvent.objects.filter(kind="network").values_list("message", flat=True)
            )

    assert change.status == "acked"
    assert len(fake_nas.received) == 1
    assert events == ["Disconnect acknowledged by bras-worker"]


def test_the_sweep_fans_out_to_tenants_with_radius_only(
    tenant_a, tenant_b, monkeypatch, django_capture_on_commit_callbacks
):
    move_isp_to("tenant-a", "pro", django_capture_on_commit_callbacks)
    sent = []
    monkeypatch.setattr(
        tasks.radius_changes_sweep, "delay", lambda: sent.append(connection.schema_name)
    )

    count = tasks.radius_changes_fan_out()

    assert count == len(sent)
    assert tenant_a.schema_name in sent
    assert tenant_b.schema_name not in sent  # Basic: no isp.radius
