"""X-Request-ID on every response, equal to the envelope's request_id (DESIGN.md §4)."""

import re

import pytest

from tests.conftest import HostClient

pytestmark = pytest.mark.django_db

GENERATED = re.compile(r"^req_[0-9a-f]{32}$")


@pytest.mark.smoke
def test_every_kind_of_response_carries_a_generated_request_id(client_a, api_a):
    responses = [
        HostClient("localhost").get("/"),  # HTML page
        client_a.get("/api/v1/me/"),  # API error
        api_a.get("/api/v1/me/"),  # API success
        HostClient("nobody.localhost").get("/"),  # unknown host
        HostClient("localhost").get("/health/live"),  # probe
    ]
    ids = [response["X-Request-ID"] for response in responses]

    assert all(GENERATED.match(request_id) for request_id in ids), ids
    assert len(set(ids)) == len(ids)


def test_well_formed_incoming_request_id_is_reused_in_header_and_envelope(client_a):
    response = client_a.get("/api/v1/me/", HTTP_X_REQUEST_ID="edge-7f3a9c21.retry:1")

    assert response["X-Request-ID"] == "edge-7f3a9c21.retry:1"
    assert response.json()["error"]["request_id"] == "edge-7f3a9c21.retry:1"


@pytest.mark.parametrize(
    "incoming",
    ["short", "has spaces in it", "x" * 200, "<script>alert(1)</script>", "bad\nheader-value"],
)
def test_malformed_incoming_request_id_is_replaced(client_a, incoming):
    response = client_a.get("/api/v1/me/", HTTP_X_REQUEST_ID=incoming)

    assert GENERATED.match(response["X-Request-ID"])
    assert response.json()["error"]["request_id"] == response["X-Request-ID"]
