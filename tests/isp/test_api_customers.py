"""Customers and their contacts over the API: the generic resource checks, the customer limit,
deletion versus closing, notes, timeline and portal links."""

import pytest
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context

from apps.core.models import AuditEntry
from apps.identity import services as identity
from apps.isp.models import Customer, TimelineEvent
from apps.platform.licensing import services as licensing
from apps.platform.licensing.models import Subscription
from tests.isp.api_factories import ContactFactory, CustomerFactory
from tests.resource_base import ResourceTests

pytestmark = pytest.mark.django_db
CUSTOMERS = "/api/v1/isp/customers/"


class TestCustomerResource(ResourceTests):
    path = CUSTOMERS
    resource_type = "customer"
    factory = CustomerFactory
    create_data = {
        "name": "Ada Lovelace",
        "email": "ada@example.com",
        "kind": "business",
        "phone": "+44 20 7946 0000",
        "billing_day": 5,
        "service_city": "London",
    }
    update_data = {"name": "Ada King", "billing_day": 12, "billing_city": "Ockham"}


class TestContactResource(ResourceTests):
    path = "/api/v1/isp/customer-contacts/"
    resource_type = "customer_contact"
    factory = ContactFactory
    update_data = {"role": "technical", "phone": "+1 555 0100"}

    def create_data(self):
        customer = CustomerFactory()
        return {"customer": customer.pk, "name": "Bea", "role": "billing", "email": "b@x.io"}


def limit_customers_to(tenant, limit, capture):
    with capture(execute=True):
        licensing.subscription_set_overrides(
            subscription=Subscription.objects.get(tenant=tenant, app__key="isp"),
            limits={"isp.max_customers": limit},
            actor="test",
        )


def test_created_account_is_a_numbered_prospect_with_balance_as_a_money_string(api_a):
    response = api_a.post_json(CUSTOMERS, {"name": "Ann Lee", "email": "ann@example.com"})

    attributes = response.json()["data"]["attributes"]
    assert response.status_code == 201
    assert attributes["account_number"].startswith("C")
    assert attributes["status"] == "prospect"
    assert attributes["balance"] == "0.00"
    assert attributes["currency"] == "USD"


def test_account_number_balance_and_status_cannot_be_written(api_a, tenant_a):
    customer = api_a.post_json(CUSTOMERS, {"name": "Ann", "email": "ann@example.com"}).json()
    detail = f"{CUSTOMERS}{customer['data']['id']}/"

    api_a.patch(
        detail,
        {"account_number": "X1", "balance": "-500.00", "status": "active"},
        content_type="application/json",
    )

    attributes = api_a.get(detail).json()["data"]["attributes"]
    assert attributes["account_number"] == customer["data"]["attributes"]["account_number"]
    assert (attributes["balance"], attributes["status"]) == ("0.00", "prospect")


def test_invalid_email_and_phone_are_named_in_the_error(api_a):
    response = api_a.post_json(CUSTOMERS, {"name": "X", "email": "nope", "phone": "call me"})

    assert response.status_code == 400
    fields = {d["field"] for d in response.json()["error"]["details"]}
    assert fields == {"email", "phone"}


def test_creating_past_the_customer_limit_is_refused_and_writes_nothing(
    api_a, tenant_a, django_capture_on_commit_callbacks
):
    limit_customers_to(tenant_a, 1, django_capture_on_commit_callbacks)
    assert api_a.post_json(CUSTOMERS, {"name": "One", "email": "1@x.io"}).status_code == 201

    refused = api_a.post_json(CUSTOMERS, {"name": "Two", "email": "2@x.io"})

    error = refused.json()["error"]
    assert refused.status_code == 403
    assert error["code"] == "LIMIT_EXCEEDED"
    assert error["details"] == [{"field": "isp.max_customers", "message": "limit 1, in use 1"}]
    with schema_context(tenant_a.schema_name):
        assert list(Customer.objects.values_list("name", flat=True)) == ["One"]
        assert not TimelineEvent.objects.filter(message__contains="Two").exists()


def test_a_closed_account_frees_its_place_and_reopening_it_counts_again(
    api_a, tenant_a, django_capture_on_commit_callbacks
):
    limit_customers_to(tenant_a, 1, django_capture_on_commit_callbacks)
    first = api_a.post_json(CUSTOMERS, {"name": "One", "email": "1@x.io"}).json()["data"]
    closed = api_a.post_json(f"{CUSTOMERS}{first['id']}/status/", {"status": "closed"})
    second = api_a.post_json(CUSTOMERS, {"name": "Two", "email": "2@x.io"})

    reopened = api_a.post_json(f"{CUSTOMERS}{first['id']}/status/", {"status": "active"})

    assert closed.json()["data"]["attributes"]["status"] == "closed"
    assert second.status_code == 201
    assert reopened.status_code == 403
    assert reopened.json()["error"]["code"] == "LIMIT_EXCEEDED"


def test_an_account_with_history_is_closed_not_deleted(api_a, tenant_a):
    customer = api_a.post_json(CUSTOMERS, {"name": "Ann", "email": "a@x.io"}).json()["data"]
    api_a.post_json(f"{CUSTOMERS}{customer['id']}/status/", {"status": "active"})

    response = api_a.delete(f"{CUSTOMERS}{customer['id']}/")

    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "CONFLICT"
    assert "close it" in error["message"]
    with schema_context(tenant_a.schema_name):
        assert Customer.objects.filter(pk=customer["id"]).exists()


def test_deleting_a_fresh_prospect_is_audited(api_a, tenant_a):
    customer = api_a.post_json(CUSTOMERS, {"name": "Oops", "email": "o@x.io"}).json()["data"]

    assert api_a.delete(f"{CUSTOMERS}{customer['id']}/").status_code == 204

    with schema_context(tenant_a.schema_name):
        entry = AuditEntry.objects.get(object_type="isp.customer", action="delete")
    assert entry.object_id == customer["id"]
    assert entry.actor == "owner"


def test_unknown_status_is_a_validation_error(api_a):
    customer = api_a.post_json(CUSTOMERS, {"name": "Ann", "email": "a@x.io"}).json()["data"]

    response = api_a.post_json(f"{CUSTOMERS}{customer['id']}/status/", {"status": "gone"})

    assert response.status_code == 400
    assert response.json()["error"]["details"][0]["field"] == "status"


def test_notes_land_on_the_timeline_newest_first(api_a):
    customer = api_a.post_json(CUSTOMERS, {"name": "Ann", "email": "a@x.io"}).json()["data"]
    base = f"{CUSTOMERS}{customer['id']}"

    note = api_a.post_json(f"{base}/notes/", {"text": "Called about the router"})
    empty = api_a.post_json(f"{base}/notes/", {"text": "   "})
    timeline = api_a.get(f"{base}/timeline/").json()

    assert note.status_code == 201
    assert note.json()["data"]["type"] == "timeline_event"
    assert empty.status_code == 400
    assert [e["attributes"]["kind"] for e in timeline["data"]] == ["note", "created"]
    assert timeline["data"][0]["attributes"]["message"] == "Called about the router"
    assert timeline["data"][0]["attributes"]["actor"] == "owner"
    assert timeline["meta"]["pagination"]["count"] == 2


def test_link_user_gives_portal_access_and_null_removes_it(api_a, tenant_a):
    with schema_context(tenant_a.schema_name):
        jane = identity.user_create(username="jane", password="jane-password-1")
    customer = api_a.post_json(CUSTOMERS, {"name": "Jane", "email": "j@x.io"}).json()["data"]
    link = f"{CUSTOMERS}{customer['id']}/link-user/"

    linked = api_a.post_json(link, {"user": jane.pk}).json()["data"]["attributes"]
    unlinked = api_a.post_json(link, {"user": None}).json()["data"]["attributes"]
    unknown = api_a.post_json(link, {"user": 987654})

    assert (linked["user"], linked["portal_username"]) == (jane.pk, "jane")
    assert (unlinked["user"], unlinked["portal_username"]) == (None, None)
    assert unknown.status_code == 400


def test_filters_search_and_ordering(api_a, in_tenant_a):
    CustomerFactory(name="Zed Business", email="zed@corp.io", kind="business")
    CustomerFactory(name="Amy Home", email="amy@home.io")
    CustomerFactory(name="Bob Home", email="bob@home.io")

    def names(query):
        response = api_a.get(f"{CUSTOMERS}?{query}")
        assert response.status_code == 200, response.content
        return [row["attributes"]["name"] for row in response.json()["data"]]

    assert names("kind=business") == ["Zed Business"]
    assert names("search=home.io&ordering=-name") == ["Bob Home", "Amy Home"]
    assert names("status=prospect&ordering=name") == ["Amy Home", "Bob Home", "Zed Business"]
    assert names("overdue=true") == []
    assert names("has_portal_user=false&ordering=name")[0] == "Amy Home"


def test_search_by_account_number(api_a, in_tenant_a):
    ann = CustomerFactory(name="Ann")
    CustomerFactory(name="Bob")

    rows = api_a.get(f"{CUSTOMERS}?search={ann.account_number}").json()["data"]

    assert [row["attributes"]["name"] for row in rows] == ["Ann"]


def test_timeline_query_count_does_not_grow_with_events(api_a, tenant_a):
    from django.db import connection

    customer = api_a.post_json(CUSTOMERS, {"name": "Ann", "email": "a@x.io"}).json()["data"]
    path = f"{CUSTOMERS}{customer['id']}/timeline/"
    api_a.get(path)
    with CaptureQueriesContext(connection) as few:
        api_a.get(path)
    for n in range(10):
        api_a.post_json(f"{CUSTOMERS}{customer['id']}/notes/", {"text": f"note {n}"})
    with CaptureQueriesContext(connection) as many:
        assert len(api_a.get(path).json()["data"]) == 11

    assert len(many) == len(few)
