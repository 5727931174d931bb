"""/metrics: Prometheus format for the internal network or a token; a 404 for anyone else."""

import pytest
from django.test import override_settings

from tests.conftest import HostClient

pytestmark = pytest.mark.django_db


def get_metrics(host="localhost", remote_addr="127.0.0.1", **extra):
    return HostClient(host).get("/metrics", REMOTE_ADDR=remote_addr, **extra)


def test_internal_network_reads_prometheus_metrics():
    HostClient("localhost").get("/health/live")

    response = get_metrics()

    assert response.status_code == 200
    assert b"django_http_requests_total_by_method_total" in response.content


@pytest.mark.parametrize("host", ["localhost", "tenant-a.localhost"])
def test_outside_address_gets_not_found_on_public_and_tenant_hosts(host):
    response = get_metrics(host=host, remote_addr="203.0.113.9")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "NOT_FOUND"


def test_request_relayed_by_a_local_proxy_is_not_internal():
    response = get_metrics(host="tenant-a.localhost", HTTP_X_FORWARDED_FOR="203.0.113.9")

    assert response.status_code == 404


@override_settings(METRICS_TOKEN="s3cret-scrape-token")
def test_bearer_token_opens_metrics_from_anywhere_and_a_wrong_one_does_not():
    good = get_metrics(
        host="tenant-a.localhost",
        remote_addr="203.0.113.9",
        HTTP_AUTHORIZATION="Bearer s3cret-scrape-token",
    )
    bad = get_metrics(
        host="tenant-a.localhost", remote_addr="203.0.113.9", HTTP_AUTHORIZATION="Bearer guess"
    )

    assert good.status_code == 200
    assert bad.status_code == 404


@override_settings(METRICS_TOKEN="")
def test_empty_token_setting_never_matches_an_empty_bearer():
    response = get_metrics(remote_addr="203.0.113.9", HTTP_AUTHORIZATION="Bearer ")
    assert response.status_code == 404
