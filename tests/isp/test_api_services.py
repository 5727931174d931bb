"""Services over the API: the generic resource checks, and the lifecycle actions with the
documents they issue (exact amounts: 30.00 a month, 50.00 setup, 20% tax)."""

import datetime
from decimal import Decimal

import pytest
from django_tenants.utils import schema_context

from apps.isp.models import CreditNote, Invoice, Service
from tests.isp.api_factories import (
    CustomerFactory,
    ServiceFactory,
    ServicePlanFactory,
    active_service,
)
from tests.resource_base import ResourceTests

pytestmark = pytest.mark.django_db
SERVICES = "/api/v1/isp/services/"
MARCH_1 = datetime.date(2026, 3, 1)


class TestServiceResource(ResourceTests):
    path = SERVICES
    resource_type = "service"
    factory = ServiceFactory
    operations = {"list", "retrieve", "create", "update"}  # terminated, never deleted
    update_data = {"discount_percent": "10.00", "install_postcode": "SW1A 1AA"}

    def create_data(self):
        return {
            "customer": CustomerFactory().pk,
            "plan": ServicePlanFactory().pk,
            "install_street": "1 Fibre Lane",
            "price_override": "25.00",
        }


def post(api, path, data=None):
    response = api.post_json(path, data or {})
    assert response.status_code < 500, response.content
    return response


def test_ordered_service_is_pending_until_activated_with_its_first_invoice(api_a, in_tenant_a):
    customer = CustomerFactory(billing_day=1)
    plan = ServicePlanFactory()

    ordered = post(api_a, SERVICES, {"customer": customer.pk, "plan": plan.pk})
    service_id = ordered.json()["data"]["id"]
    activated = post(api_a, f"{SERVICES}{service_id}/activate/", {"on": "2026-03-01"})

    assert ordered.status_code == 201
    assert ordered.json()["data"]["attributes"]["status"] == "pending"
    attributes = activated.json()["data"]["attributes"]
    assert (attributes["status"], attributes["activated_on"]) == ("active", "2026-03-01")
    assert attributes["billed_until"] == "2026-03-31"
    invoice = api_a.get(f"/api/v1/isp/invoices/?customer={customer.pk}").json()["data"][0]
    assert invoice["attributes"]["subtotal"] == "80.00"  # setup 50.00 + March 30.00
    assert invoice["attributes"]["tax_total"] == "16.00"
    assert invoice["attributes"]["total"] == "96.00"
    assert [line["kind"] for line in invoice["attributes"]["lines"]] == ["setup", "service"]
    customer_now = api_a.get(f"/api/v1/isp/customers/{customer.pk}/").json()["data"]
    assert customer_now["attributes"]["status"] == "active"
    assert customer_now["attributes"]["balance"] == "96.00"


def test_a_retired_plan_cannot_be_ordered(api_a, in_tenant_a):
    plan = ServicePlanFactory()
    api_a.post_json(f"/api/v1/isp/plans/{plan.pk}/retire/")

    response = post(api_a, SERVICES, {"customer": CustomerFactory().pk, "plan": plan.pk})

    assert response.status_code == 400
    assert response.json()["error"]["details"][0]["field"] == "plan"


def test_activating_twice_is_a_conflict(api_a, in_tenant_a):
    service = active_service(on=MARCH_1)

    response = post(api_a, f"{SERVICES}{service.pk}/activate/")

    assert response.status_code == 409
    assert "pending" in response.json()["error"]["message"]


def test_suspend_and_restore(api_a, in_tenant_a):
    service = active_service(on=MARCH_1)

    suspended = post(api_a, f"{SERVICES}{service.pk}/suspend/")
    twice = post(api_a, f"{SERVICES}{service.pk}/suspend/")
    restored = post(api_a, f"{SERVICES}{service.pk}/restore/")

    assert suspended.json()["data"]["attributes"]["status"] == "suspended"
    assert suspended.json()["data"]["attributes"]["suspension_reason"] == "manual"
    assert twice.status_code == 409
    assert restored.json()["data"]["attributes"]["status"] == "active"
    assert restored.json()["data"]["attributes"]["suspended_at"] is None


def test_terminating_mid_period_credits_the_unused_days(api_a, in_tenant_a):
    service = active_service(on=MARCH_1)  # March billed: 30.00 net

    response = post(api_a, f"{SERVICES}{service.pk}/terminate/", {"on": "2026-03-16"})

    attributes = response.json()["data"]["attributes"]
    assert (attributes["status"], attributes["terminated_on"]) == ("terminated", "2026-03-16")
    note = CreditNote.objects.get(customer=service.customer)
    # 15 unused days of 31 (17-31 March): 30.00 × 15 / 31 = 14.52 net, 2.90 tax.
    assert (note.subtotal, note.tax_total, note.total) == (
        Decimal("14.52"),
        Decimal("2.90"),
        Decimal("17.42"),
    )
    again = post(api_a, f"{SERVICES}{service.pk}/terminate/")
    assert again.status_code == 409


def test_upgrade_mid_period_credits_the_old_plan_and_charges_the_new(api_a, in_tenant_a):
    service = active_service(on=MARCH_1)
    faster = ServicePlanFactory(price=Decimal("60.00"))

    response = post(
        api_a, f"{SERVICES}{service.pk}/change-plan/", {"plan": faster.pk, "on": "2026-03-17"}
    )

    change = response.json()["data"]
    assert response.status_code == 200
    assert change["type"] == "service_plan_change"
    # 15 days of 31 (17-31 March): 30.00 × 15/31 = 14.52 credited, 60.00 × 15/31 = 29.03 charged.
    assert (change["attributes"]["credited"], change["attributes"]["charged"]) == (
        "14.52",
        "29.03",
    )
    assert change["attributes"]["to_plan"] == faster.pk
    shown = api_a.get(f"{SERVICES}{service.pk}/").json()["data"]["attributes"]
    assert shown["plan"] == faster.pk
    assert len(shown["plan_changes"]) == 1


def test_change_plan_to_the_same_plan_is_refused(api_a, in_tenant_a):
    service = active_service(on=MARCH_1)

    response = post(api_a, f"{SERVICES}{service.pk}/change-plan/", {"plan": service.plan_id})

    assert response.status_code == 400


def test_customer_and_plan_cannot_be_changed_by_patch(api_a, in_tenant_a):
    service = ServiceFactory()
    other = ServicePlanFactory()

    response = api_a.patch(
        f"{SERVICES}{service.pk}/", {"plan": other.pk}, content_type="application/json"
    )

    assert response.status_code == 400
    assert "change-plan" in response.json()["error"]["details"][0]["message"]
    assert Service.objects.get(pk=service.pk).plan_id == service.plan_id


def test_service_filters(api_a, in_tenant_a):
    active = active_service(on=MARCH_1)
    ServiceFactory()

    def ids(query):
        return [row["id"] for row in api_a.get(f"{SERVICES}?{query}").json()["data"]]

    assert ids("status=active") == [str(active.pk)]
    assert ids(f"customer={active.customer_id}") == [str(active.pk)]
    assert ids("activated_after=2026-02-01&activated_before=2026-03-31") == [str(active.pk)]
    assert len(ids("status=pending")) == 1


def test_action_on_another_tenants_service_is_not_found(in_tenant_a, client_b):
    from tests.conftest import HostClient, obtain_tokens

    service = active_service(on=MARCH_1)
    api_b = HostClient(client_b.host).authenticate(obtain_tokens(client_b)["access"])

    response = api_b.post_json(f"{SERVICES}{service.pk}/suspend/")

    assert response.status_code == 404
    with schema_context(in_tenant_a.schema_name):
        assert Service.objects.get(pk=service.pk).status == "active"
        assert Invoice.objects.filter(customer=service.customer).count() == 1
