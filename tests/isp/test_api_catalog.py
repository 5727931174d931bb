"""Service plans and tax classes over the API."""

import pytest
from django_tenants.utils import schema_context

from apps.isp.models import ServicePlan
from tests.isp.api_factories import PlanFactory, TaxClassFactory, default_tax_class
from tests.resource_base import ResourceTests

pytestmark = pytest.mark.django_db
PLANS = "/api/v1/isp/plans/"


class TestPlanResource(ResourceTests):
    path = PLANS
    resource_type = "plan"
    factory = PlanFactory
    update_data = {"price": "35.50", "data_cap_gb": 500, "fair_use_policy": "Be kind"}

    def create_data(self):
        return {
            "code": "fibre-1g",
            "name": "Fibre 1G",
            "download_mbps": 1000,
            "upload_mbps": 200,
            "burst_download_mbps": 1200,
            "price": "59.99",
            "setup_fee": "0.00",
            "billing_period": "quarterly",
            "tax_class": default_tax_class().pk,
        }


class TestTaxClassResource(ResourceTests):
    path = "/api/v1/isp/tax-classes/"
    resource_type = "tax_class"
    factory = TaxClassFactory
    create_data = {"code": "luxury", "name": "Luxury", "rate": "25.00"}
    update_data = {"name": "Luxury goods", "rate": "26.50"}


def test_plan_shows_money_as_strings_with_currency_and_tax_rate(api_a, tenant_a):
    with schema_context(tenant_a.schema_name):
        plan = PlanFactory(price="29.90")

    attributes = api_a.get(f"{PLANS}{plan.pk}/").json()["data"]["attributes"]

    assert (attributes["price"], attributes["setup_fee"]) == ("29.90", "50.00")
    assert attributes["currency"] == "USD"
    assert attributes["tax_rate"] == "20.00"


def test_retiring_a_plan_keeps_it_but_stops_selling_it(api_a, tenant_a):
    with schema_context(tenant_a.schema_name):
        plan = PlanFactory()

    retired = api_a.post_json(f"{PLANS}{plan.pk}/retire/")
    again = api_a.post_json(f"{PLANS}{plan.pk}/retire/")
    active = api_a.get(f"{PLANS}?status=active").json()["data"]

    assert retired.json()["data"]["attributes"]["status"] == "retired"
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "CONFLICT"
    assert str(plan.pk) not in {row["id"] for row in active}
    with schema_context(tenant_a.schema_name):
        assert ServicePlan.objects.get(pk=plan.pk).status == "retired"


def test_negative_price_is_refused(api_a, tenant_a):
    with schema_context(tenant_a.schema_name):
        plan = PlanFactory()

    response = api_a.patch(f"{PLANS}{plan.pk}/", {"price": "-1.00"}, "application/json")

    assert response.status_code == 400
    assert response.json()["error"]["details"][0]["field"] == "price"


def test_plan_filters_and_ordering(api_a, tenant_a):
    with schema_context(tenant_a.schema_name):
        PlanFactory(name="Cheap", price="10.00", download_mbps=50)
        PlanFactory(name="Fast", price="80.00", download_mbps=1000, billing_period="yearly")

    def names(query):
        return [r["attributes"]["name"] for r in api_a.get(f"{PLANS}?{query}").json()["data"]]

    assert names("ordering=-price") == ["Fast", "Cheap"]
    assert names("billing_period=yearly") == ["Fast"]
    assert names("price_max=20") == ["Cheap"]
    assert names("search=fast") == ["Fast"]


def test_a_tax_class_in_use_cannot_be_deleted(api_a, tenant_a):
    with schema_context(tenant_a.schema_name):
        plan = PlanFactory()

    response = api_a.delete(f"/api/v1/isp/tax-classes/{plan.tax_class_id}/")

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "CONFLICT"


def test_rates_outside_0_to_100_are_refused(api_a):
    response = api_a.post_json(
        "/api/v1/isp/tax-classes/", {"code": "bad", "name": "Bad", "rate": "120.00"}
    )

    assert response.status_code == 400
    assert response.json()["error"]["details"][0]["field"] == "rate"
