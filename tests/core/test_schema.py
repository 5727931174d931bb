"""OpenAPI schema and Swagger UI on both hosts; the schema builds without warnings."""

import subprocess
import sys

import jsonschema
import pytest
from django_tenants.utils import schema_context

from apps.identity.models import User
from tests.conftest import HostClient
from tests.crm.factories import LeadFactory
from tests.isp.factories import active_service
from tests.servers import child_env

pytestmark = pytest.mark.django_db

#: Formats checked as schemathesis checks them (an email must be one).
FORMATS = jsonschema.Draft7Validator.FORMAT_CHECKER


@pytest.mark.parametrize("host", ["localhost", "tenant-a.localhost"])
def test_schema_and_docs_are_served_on_public_and_tenant_hosts(host):
    client = HostClient(host)

    schema = client.get("/api/schema/?format=json")
    docs = client.get("/api/docs/")

    assert schema.status_code == 200
    body = schema.json()
    assert body["openapi"].startswith("3.")
    assert "/api/v1/me/" in body["paths"]
    assert docs.status_code == 200
    assert b"swagger-ui" in docs.content


def test_schema_describes_the_envelope_not_the_bare_serializer():
    body = HostClient("localhost").get("/api/schema/?format=json").json()

    me = body["paths"]["/api/v1/me/"]["get"]["responses"]
    success = me["200"]["content"]["application/json"]["schema"]
    assert set(success["properties"]) == {"data", "meta", "links"}
    assert "attributes" in success["properties"]["data"]["properties"]
    assert me["default"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ErrorEnvelope"
    }


def test_schema_generation_has_no_warnings(tmp_path):
    result = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "spectacular",
            "--fail-on-warn",
            "--validate",
            "--file",
            str(tmp_path / "schema.yaml"),
        ],  # fmt: skip
        capture_output=True,
        text=True,
        env=child_env(),
    )
    assert result.returncode == 0, result.stderr


# --- The schema describes the envelope exactly (issue 16, F14) ------------------------------


@pytest.fixture
def tenant_schema(db):
    return HostClient("tenant-a.localhost").get("/api/schema/?format=json").json()


def _resolved(schema: dict, body: dict) -> dict:
    ref = schema.get("$ref")
    return body["components"]["schemas"][ref.rsplit("/", 1)[-1]] if ref else schema


def _operations(body: dict):
    for path, item in body["paths"].items():
        for method, operation in item.items():
            if method in ("get", "post", "put", "patch", "delete"):
                yield path, method, operation


def test_every_success_answer_is_the_envelope_with_id_outside_the_attributes(tenant_schema):
    checked = 0
    for path, method, operation in _operations(tenant_schema):
        for status, response in operation["responses"].items():
            content = response.get("content", {}).get("application/json")
            if not status.startswith("2") or content is None:
                continue
            envelope = _resolved(content["schema"], tenant_schema)
            assert set(envelope["required"]) == {"data", "meta", "links"}, (method, path)
            data = envelope["properties"]["data"]
            resource = data["items"] if data.get("type") == "array" else data
            assert set(resource["required"]) == {"id", "type", "attributes"}, (method, path)
            attributes = _resolved(resource["properties"]["attributes"], tenant_schema)
            assert "id" not in attributes.get("properties", {}), (method, path)
            assert "id" not in attributes.get("required", []), (method, path)
            checked += 1
    assert checked > 100


def test_every_list_answer_says_how_it_is_paginated(tenant_schema):
    pages = 0
    for path, method, operation in _operations(tenant_schema):
        content = operation["responses"].get("200", {}).get("content", {}).get("application/json")
        if content is None:
            continue
        envelope = _resolved(content["schema"], tenant_schema)
        if envelope["properties"]["data"].get("type") != "array":
            continue
        names = {p["name"] for p in operation.get("parameters", []) if p["in"] == "query"}
        meta = envelope["properties"]["meta"]
        if "pagination" in meta["properties"]:
            assert {"page", "page_size"} <= names, (method, path)
            assert set(envelope["properties"]["links"]["required"]) == {"self", "next", "prev"}
            pages += 1
        else:  # an unpaginated list (reports, licences) takes no page parameters
            assert not {"page", "page_size"} & names, (method, path)
    assert pages > 20
    for action in (
        "/api/v1/crm/activities/my-open-tasks/",
        "/api/v1/crm/leads/{id}/duplicates/",
        "/api/v1/crm/opportunities/{id}/history/",
    ):
        schema = tenant_schema["paths"][action]["get"]["responses"]["200"]["content"]
        meta = _resolved(schema["application/json"]["schema"], tenant_schema)["properties"]["meta"]
        assert "pagination" in meta["required"], action


def test_errors_are_listed_per_operation_in_the_error_envelope(tenant_schema):
    error_ref = {"$ref": "#/components/schemas/ErrorEnvelope"}
    for path, method, operation in _operations(tenant_schema):
        responses = operation["responses"]
        expected = {"401", "403", "429", "503"}
        if "{" in path:
            expected.add("404")
        if method != "get":
            expected.add("409")
        if "requestBody" in operation:
            expected |= {"400", "413"}
        assert expected <= set(responses), (method, path, sorted(responses))
        for status in expected:
            assert responses[status]["content"]["application/json"]["schema"] == error_ref
        assert "X-Request-ID" in responses[sorted(expected)[0]]["headers"]
    limited = tenant_schema["paths"]["/api/v1/me/"]["get"]["responses"]["429"]
    assert "Retry-After" in limited["headers"]


def test_search_and_ordering_are_documented_only_where_the_list_takes_them(tenant_schema):
    def names(path):
        return {p["name"] for p in tenant_schema["paths"][path]["get"].get("parameters", [])}

    assert "search" in names("/api/v1/crm/leads/")
    assert "search" not in names("/api/v1/isp/billing-runs/")
    assert "ordering" not in names("/api/v1/crm/reports/pipeline/")


def _active_service(tenant):
    with schema_context(tenant.schema_name):
        User.objects.filter(username="owner").update(email="")
        return active_service()


def _as_json_schema(node):
    """OpenAPI 3.0's `nullable` as JSON Schema's null type (what jsonschema validates); oneOf as
    anyOf, since jsonschema checks no `uri` format without rfc3987 ("" is then both a blank
    and a URI)."""
    if isinstance(node, list):
        return [_as_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    converted = {
        "anyOf" if key == "oneOf" else key: _as_json_schema(value) for key, value in node.items()
    }
    if converted.pop("nullable", False):
        return {"anyOf": [converted, {"type": "null"}]}
    return converted


def test_a_real_list_and_object_validate_against_the_schema(tenant_schema, api_a, tenant_a):
    with schema_context(tenant_a.schema_name):
        lead = LeadFactory(owner=User.objects.get(username="owner"))
    components = _as_json_schema(tenant_schema["components"])

    def validate(path, method, status, body):
        schema = tenant_schema["paths"][path][method]["responses"][status]["content"]
        root = {**_as_json_schema(schema["application/json"]["schema"]), "components": components}
        errors = sorted(
            error.message
            for error in jsonschema.Draft7Validator(root, format_checker=FORMATS).iter_errors(body)
        )
        assert errors == [], errors

    listed = api_a.get("/api/v1/crm/leads/")
    one = api_a.get(f"/api/v1/crm/leads/{lead.pk}/")
    assert listed.status_code == one.status_code == 200
    assert listed.json()["data"][0]["id"] == str(lead.pk)
    validate("/api/v1/crm/leads/", "get", "200", listed.json())
    validate("/api/v1/crm/leads/{id}/", "get", "200", one.json())
    # What the fuzzer found off the schema: report rows' ids, a statement's id, a blank
    # choice (a service never suspended), a blank email (the owner has one; a user may not).
    service = _active_service(tenant_a)
    statement = f"/api/v1/isp/customers/{service.customer_id}/statement/"
    for path, real in [
        ("/api/v1/crm/reports/pipeline/", "/api/v1/crm/reports/pipeline/"),
        ("/api/v1/isp/customers/{id}/statement/", statement),
        ("/api/v1/isp/services/{id}/", f"/api/v1/isp/services/{service.pk}/"),
        ("/api/v1/me/", "/api/v1/me/"),
    ]:  # fmt: skip
        response = api_a.get(real)
        assert response.status_code == 200, real
        validate(path, "get", "200", response.json())
    bad = one.json()
    bad["data"]["attributes"]["first_name"] = 12
    with pytest.raises(AssertionError):  # the check can fail: a number for a string
        validate("/api/v1/crm/leads/{id}/", "get", "200", bad)
