"""Billing runs over the API: the generic resource checks (POST answers 202 with the queued run),
and a run requested over HTTP executed by a real Celery worker."""

import datetime
import time
import uuid
from decimal import Decimal

import factory
import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from apps.isp.models import BillingRun, Invoice
from tests.committed import committed
from tests.conftest import PASSWORD, HostClient, host_of, obtain_tokens
from tests.isp.api_factories import ServicePlanFactory, active_service
from tests.resource_base import ResourceTests

pytestmark = pytest.mark.django_db
RUNS = "/api/v1/isp/billing-runs/"


class BillingRunFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BillingRun

    as_of = datetime.date(2026, 2, 1)
    triggered_by = "test"


class TestBillingRunResource(ResourceTests):
    path = RUNS
    resource_type = "billing_run"
    factory = BillingRunFactory
    operations = {"list", "retrieve", "create"}  # a record of what a worker did
    created_status = 202
    create_data = {"as_of": "2026-02-01"}
    invalid_data = {"as_of": "next week"}


def test_a_requested_run_is_queued_for_the_caller(api_a, tenant_a):
    response = api_a.post_json(RUNS, {})

    run = response.json()["data"]
    assert response.status_code == 202
    assert run["attributes"]["status"] == "queued"
    assert run["attributes"]["as_of"] == str(timezone.localdate())
    assert run["attributes"]["triggered_by"] == "owner"
    assert run["attributes"]["total_invoiced"] == "0.00"
    assert run["attributes"]["currency"] == "USD"


def test_an_invalid_date_is_refused(api_a):
    response = api_a.post_json(RUNS, {"as_of": "yesterday"})

    assert response.status_code == 400
    assert response.json()["error"]["details"][0]["field"] == "as_of"


# --- On a real worker: a tenant of its own, so that committed rows leave with it ---------------


@pytest.fixture
def own_tenant(db):
    from apps.platform.tenants import schemas, services
    from apps.platform.tenants.models import Tenant

    slug = f"api-runs-{uuid.uuid4().hex[:8]}"
    tenant = committed(
        services.tenant_create_now,
        name="API runs",
        slug=slug,
        admin_username="owner",
        admin_email=f"owner@{slug}.example.com",
        admin_password=PASSWORD,
        apps=("isp",),
    )
    yield tenant

    def remove():
        schemas.drop_schema(tenant.schema_name)
        Tenant.objects.filter(pk=tenant.pk).delete()

    committed(remove)


def two_services_activated_on_1_january() -> list[int]:
    plan = ServicePlanFactory(price=Decimal("30.00"), setup_fee=Decimal("0.00"))
    return [active_service(plan=plan, on=datetime.date(2026, 1, 1)).pk for _ in range(2)]


@pytest.mark.slow
def test_a_run_posted_over_the_api_is_executed_by_a_worker(own_tenant, celery_worker):
    """Everything touching the tenant runs on connections of its own (committed): the test's
    transaction must hold no lock on its tables when the fixture drops its schema."""

    def in_tenant(fn):
        def run():
            with schema_context(own_tenant.schema_name):
                return fn()

        return committed(run)

    services = in_tenant(two_services_activated_on_1_january)
    api = HostClient(host_of(own_tenant.slug))
    api.authenticate(committed(obtain_tokens, api)["access"])

    # The request commits, and its task is dispatched at once.
    posted = committed(api.post_json, RUNS, {"as_of": "2026-02-01"})
    assert posted.status_code == 202
    run_id = posted.json()["data"]["id"]

    deadline, shown = time.monotonic() + 30, {}
    while time.monotonic() < deadline:
        shown = committed(api.get, f"{RUNS}{run_id}/").json()["data"]["attributes"]
        if shown["status"] in ("succeeded", "failed"):
            break
        time.sleep(0.2)

    assert shown["status"] == "succeeded", shown
    assert shown["invoices_created"] == 2
    assert shown["total_invoiced"] == "72.00"  # 2 × (30.00 + 20% tax) for February
    assert shown["started_at"]
    assert shown["finished_at"]
    billed = in_tenant(
        lambda: sorted(
            Invoice.objects.filter(billing_run_id=run_id).values_list("lines__service", flat=True)
        )
    )
    assert billed == sorted(services)
