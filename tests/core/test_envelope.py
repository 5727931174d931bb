"""The success envelope of DESIGN.md §4 on objects, lists and pages, via the base viewset."""

import pytest

from apps.core.models import WorkerHeartbeat

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.urls_tenant")]


def make_heartbeats(tenant, count):
    from django_tenants.utils import schema_context

    with schema_context(tenant.schema_name):
        WorkerHeartbeat.objects.bulk_create(
            WorkerHeartbeat(source=f"src-{i:03d}", schema_name=tenant.schema_name, task_id=f"t{i}")
            for i in range(count)
        )


def test_single_object_is_wrapped_with_id_type_attributes_meta_and_links(api_a):
    body = api_a.get("/api/v1/me/").json()

    assert set(body) == {"data", "meta", "links"}
    assert body["data"]["type"] == "user"
    assert isinstance(body["data"]["id"], str)
    assert body["data"]["attributes"]["username"] == "owner"
    assert "id" not in body["data"]["attributes"]
    assert body["meta"]["version"] == "1.0"
    assert body["meta"]["timestamp"].endswith("Z")
    assert body["links"] == {"self": "/api/v1/me/"}


@pytest.mark.smoke
def test_list_is_paginated_with_meta_pagination_and_links(api_a, tenant_a):
    make_heartbeats(tenant_a, 30)

    body = api_a.get("/api/v1/test/heartbeats/?page_size=10&page=2&ordering=source").json()

    assert body["meta"]["pagination"] == {"count": 30, "page": 2, "page_size": 10, "pages": 3}
    assert [item["attributes"]["source"] for item in body["data"]] == [
        f"src-{i:03d}" for i in range(10, 20)
    ]
    assert body["links"]["self"] == "/api/v1/test/heartbeats/?page_size=10&page=2&ordering=source"
    assert body["links"]["next"].startswith("/api/v1/test/heartbeats/?")
    assert "page=3" in body["links"]["next"]
    assert "page=1" in body["links"]["prev"] or "page=" not in body["links"]["prev"]
    first = body["data"][0]
    assert first["type"] == "workerheartbeat"
    assert first["links"]["self"] == f"/api/v1/test/heartbeats/{first['id']}/"


def test_page_size_is_capped_and_default_applies(api_a, tenant_a):
    make_heartbeats(tenant_a, 30)

    assert api_a.get("/api/v1/test/heartbeats/").json()["meta"]["pagination"]["page_size"] == 25
    capped = api_a.get("/api/v1/test/heartbeats/?page_size=1000").json()
    assert capped["meta"]["pagination"]["page_size"] == 100


def test_create_returns_201_with_self_link_of_the_new_object(api_a):
    response = api_a.post_json(
        "/api/v1/test/heartbeats/", {"source": "api", "schema_name": "x", "task_id": "created-1"}
    )

    assert response.status_code == 201
    body = response.json()
    assert body["links"]["self"] == f"/api/v1/test/heartbeats/{body['data']['id']}/"
    assert api_a.get(body["links"]["self"]).json()["data"]["attributes"]["task_id"] == "created-1"


def test_delete_returns_204_with_empty_body(api_a, tenant_a):
    make_heartbeats(tenant_a, 1)
    pk = api_a.get("/api/v1/test/heartbeats/").json()["data"][0]["id"]

    response = api_a.delete(f"/api/v1/test/heartbeats/{pk}/")

    assert response.status_code == 204
    assert response.content == b""


def test_filter_search_and_ordering_come_from_the_base_configuration(api_a, tenant_a):
    make_heartbeats(tenant_a, 12)

    filtered = api_a.get("/api/v1/test/heartbeats/?source=src-003").json()
    searched = api_a.get("/api/v1/test/heartbeats/?search=src-01").json()
    ordered = api_a.get("/api/v1/test/heartbeats/?ordering=-source&page_size=1").json()

    assert [i["attributes"]["source"] for i in filtered["data"]] == ["src-003"]
    assert searched["meta"]["pagination"]["count"] == 2  # src-010, src-011
    assert ordered["data"][0]["attributes"]["source"] == "src-011"


def test_another_tenants_object_id_is_a_404_like_a_missing_one(api_a, client_b, tenant_b):
    make_heartbeats(tenant_b, 1)
    from django_tenants.utils import schema_context

    with schema_context(tenant_b.schema_name):
        foreign_id = WorkerHeartbeat.objects.get().pk

    foreign = api_a.get(f"/api/v1/test/heartbeats/{foreign_id}/")
    missing = api_a.get("/api/v1/test/heartbeats/987654321/")

    assert foreign.status_code == missing.status_code == 404
    assert foreign.json()["error"]["code"] == missing.json()["error"]["code"] == "NOT_FOUND"
