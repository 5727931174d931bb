"""Each CRM API resource through the generic resource tests (tests/resource_base.py), owned
records with the ownership checks too (tests/crm/ownership.py)."""

from decimal import Decimal

import pytest
from django_tenants.utils import schema_context

from apps.crm.models import Stage
from tests.crm.factories import (
    AccountFactory,
    ActivityFactory,
    ContactFactory,
    LeadFactory,
    OpportunityFactory,
    StageFactory,
)
from tests.crm.ownership import OwnedResourceTests
from tests.resource_base import ResourceTests

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.urls_tenant")]


class TestAccounts(OwnedResourceTests):
    path = "/api/v1/crm/accounts/"
    resource_type = "account"
    factory = AccountFactory
    create_data = {
        "name": "Acme",
        "website": "https://www.acme.example/about",
        "email": "Sales@Acme.example",
        "phone": "+44 20 7946 0958",
        "city": "London",
        "tags": ["VIP", "vip ", "renewal"],
    }
    created_shown = {"email": "sales@acme.example", "tags": ["vip", "renewal"]}
    update_data = {"name": "Acme Holdings", "tags": ["vip"]}


class TestContacts(OwnedResourceTests):
    path = "/api/v1/crm/contacts/"
    resource_type = "contact"
    factory = ContactFactory
    update_data = {"title": "CFO"}

    def create_data(self):
        return {
            "account": AccountFactory(owner=self.people["mike"]).pk,
            "first_name": "Grace",
            "last_name": "Hopper",
            "email": "grace@navy.example",
            "phone": "(555) 010-4477",
        }


class TestLeads(OwnedResourceTests):
    path = "/api/v1/crm/leads/"
    resource_type = "lead"
    factory = LeadFactory
    create_data = {
        "first_name": "Tim",
        "last_name": "Berners",
        "company": "W3",
        "email": "tim@w3.example",
        "source": "event",
        "score": 50,
    }
    update_data = {"status": "contacted", "score": 65}


class TestOpportunities(OwnedResourceTests):
    path = "/api/v1/crm/opportunities/"
    resource_type = "opportunity"
    factory = OpportunityFactory
    update_data = {"amount": "2500.00", "expected_close_date": "2027-03-31"}

    def create_data(self):
        return {
            "name": "Fibre for HQ",
            "account": AccountFactory(owner=self.people["mike"]).pk,
            "amount": "12000.00",
            "expected_close_date": "2027-01-15",
        }


class TestActivities(OwnedResourceTests):
    path = "/api/v1/crm/activities/"
    resource_type = "activity"
    factory = ActivityFactory
    create_data = {"kind": "call", "subject": "Intro call", "due_at": "2027-01-10T10:00:00Z"}
    update_data = {"subject": "Call back on Monday", "done": True}


class TestStages(ResourceTests):
    """The pipeline's stages: every CRM user reads them; a CRM manager (who runs the generic
    checks: create, update, delete) changes them."""

    path = "/api/v1/crm/stages/"
    resource_type = "stage"
    factory = StageFactory
    create_data = {"name": "Discovery", "position": 2, "probability": 15, "kind": "open"}
    update_data = {"probability": 35}

    @pytest.fixture
    def api(self, people):
        return people.api("boss")  # CRM Admin

    def test_a_sales_rep_reads_the_pipeline_but_cannot_change_it(self, people):
        mike = people.api("mike")

        listed = mike.get(self.path)
        created = mike.post_json(self.path, self.create_data)

        assert [row["attributes"]["name"] for row in listed.json()["data"]][:2] == [
            "Prospecting",
            "Qualification",
        ]
        assert created.status_code == 403
        assert created.json()["error"]["code"] == "PERMISSION_DENIED"

    def test_a_stage_in_use_cannot_be_deleted(self, people, tenant_a):
        with schema_context(tenant_a.schema_name):
            opportunity = OpportunityFactory(owner=people["mike"], amount=Decimal("10"))

        response = people.api("boss").delete(self.detail(opportunity.stage_id))

        assert response.status_code == 409
        assert response.json()["error"]["code"] == "CONFLICT"


def test_lists_filter_search_and_order(people, tenant_a):
    with schema_context(tenant_a.schema_name):
        LeadFactory(owner=people["mike"], last_name="Alpha", score=10, source="event", tags=["hot"])
        LeadFactory(owner=people["mike"], last_name="Beta", score=90, source="event")
        LeadFactory(owner=people["mike"], last_name="Gamma", score=50, source="website")
    mike = people.api("mike")

    def names(query):
        response = mike.get("/api/v1/crm/leads/", query)
        assert response.status_code == 200, response.content
        return [row["attributes"]["last_name"] for row in response.json()["data"]]

    assert names({"source": "event", "ordering": "-score"}) == ["Beta", "Alpha"]
    assert names({"search": "gam"}) == ["Gamma"]
    assert names({"score_min": 40, "ordering": "score"}) == ["Gamma", "Beta"]
    assert names({"tag": "HOT"}) == ["Alpha"]
    assert names({"mine": "true", "ordering": "last_name"}) == ["Alpha", "Beta", "Gamma"]
    assert mike.get("/api/v1/crm/leads/", {"status": "nonsense"}).status_code == 400


def test_opportunity_filters_by_stage_kind_and_amount(people, tenant_a):
    with schema_context(tenant_a.schema_name):
        won = Stage.objects.get(name="Won")
        OpportunityFactory(owner=people["mike"], name="Big won", amount=Decimal("9000"), stage=won)
        OpportunityFactory(owner=people["mike"], name="Small open", amount=Decimal("10"))

    rows = (
        people.api("mike")
        .get("/api/v1/crm/opportunities/", {"stage_kind": "won", "amount_min": 100})
        .json()["data"]
    )

    assert [row["attributes"]["name"] for row in rows] == ["Big won"]
