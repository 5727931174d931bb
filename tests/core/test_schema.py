"""OpenAPI schema and Swagger UI on both hosts; the schema builds without warnings."""

import subprocess
import sys

import pytest

from tests.conftest import HostClient
from tests.servers import child_env

pytestmark = pytest.mark.django_db


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
