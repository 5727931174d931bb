"""Input an attacker (or a fuzzer) sends: every answer a 4xx in the envelope naming what is
wrong, nothing written, never a 500 (issue 16: F4, F6, F7, F15)."""

import json

import pytest
from django_tenants.utils import schema_context

from apps.crm.models import Account
from apps.isp.models import Customer
from tests.conftest import HostClient

pytestmark = pytest.mark.django_db


def refused(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content[:400]
    body = response.json()["error"]
    assert body["code"] == code
    assert body["request_id"]
    return body


def fields_of(body: dict) -> set:
    return {detail["field"] for detail in body["details"]}


# --- Bodies ----------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/api/v1/auth/token/refresh/", "/api/v1/isp/customers/"])
def test_a_body_past_the_upload_limit_is_a_413(api_a, path):
    body = json.dumps({"name": "x" * (10 * 1024 * 1024)})

    response = api_a.post(path, body, content_type="application/json")

    error = refused(response, 413, "PAYLOAD_TOO_LARGE")
    assert "larger than" in error["message"]


def test_a_csv_import_past_the_upload_limit_is_a_413_and_imports_nothing(api_a, tenant_a):
    text = "name\n" + "\n".join(f"Company {n:07d}" for n in range(200_000))  # ~3 MB
    with schema_context(tenant_a.schema_name):
        before = Account.objects.count()

    response = api_a.post_json("/api/v1/crm/accounts/import/", {"csv": text})

    refused(response, 413, "PAYLOAD_TOO_LARGE")
    with schema_context(tenant_a.schema_name):
        assert Account.objects.count() == before


@pytest.mark.parametrize("depth", [40, 1000, 100_000])
def test_json_nested_too_deep_is_a_validation_error(api_a, depth):
    body = "[" * depth + "]" * depth

    response = api_a.post("/api/v1/isp/customers/", body, content_type="application/json")

    error = refused(response, 400, "VALIDATION_ERROR")
    assert "deeper than 32 levels" in error["message"]


def test_json_nested_within_the_bound_is_parsed(api_a):
    nested = {"a": {"b": {"c": [[1]]}}}

    response = api_a.post_json("/api/v1/crm/accounts/", {"name": "Nested", "extra": nested})

    assert response.status_code == 201, response.content


# --- Filters ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "query", "field"),
    [
        ("/api/v1/isp/invoices/", {"total__gte": "abc"}, "total__gte"),
        ("/api/v1/isp/invoices/", {"issue_date": "garbage"}, "issue_date"),
        ("/api/v1/isp/customers/", {"overdue": "maybe"}, "overdue"),
        ("/api/v1/isp/customers/", {"created_before": "0240-05-11T03:44:26+22:34"},
         "created_before"),
        ("/api/v1/isp/customers/", {"created_after": "0240-05-11T03:44:26Z"}, "created_after"),
        ("/api/v1/isp/invoices/", {"issued_after": "9999-12-31"}, "issued_after"),
        ("/api/v1/crm/activities/", {"due_after": "2024-01-01T00:00:00+23:00"}, "due_after"),
        ("/api/v1/crm/accounts/", {"ordering": "password"}, "ordering"),
        ("/api/v1/isp/customers/", {"balance_min": "NaN-ish"}, "balance_min"),
    ],
)  # fmt: skip
def test_a_filter_value_or_name_the_list_does_not_take_is_a_400_naming_it(
    api_a, path, query, field
):
    response = api_a.get(path, query)

    body = refused(response, 400, "VALIDATION_ERROR")
    assert field in fields_of(body)


def test_the_filters_a_list_declares_still_filter(api_a, tenant_a):
    with schema_context(tenant_a.schema_name):
        Customer.objects.create(account_number="C999001", name="Filtered", status="closed")

    query = {"status": "closed", "ordering": "-name", "page_size": 5, "search": "Filtered"}
    response = api_a.get("/api/v1/isp/customers/", query)

    assert response.status_code == 200
    assert [row["attributes"]["name"] for row in response.json()["data"]] == ["Filtered"]


def test_a_detail_ignores_the_query_string_as_before(api_a, tenant_a):
    with schema_context(tenant_a.schema_name):
        customer = Customer.objects.create(account_number="C999002", name="Detail")

    response = api_a.get(f"/api/v1/isp/customers/{customer.pk}/", {"_": "cache-buster"})

    assert response.status_code == 200


def test_an_anonymous_hostile_body_is_still_refused_as_unauthenticated(client_a):
    response = HostClient(client_a.host).post(
        "/api/v1/isp/customers/", "[" * 5000, content_type="application/json"
    )

    assert response.status_code in (400, 401)
    assert response.json()["error"]["code"] in ("VALIDATION_ERROR", "NOT_AUTHENTICATED")
