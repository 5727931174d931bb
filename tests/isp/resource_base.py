"""A generic test case for an API resource (STYLE.md §11, after NetBox's APIViewTestCases).

A resource's test class declares what it is, and inherits every common check:

    class TestTaxClasses(ResourceTests):
        path = "/api/v1/isp/tax-classes/"
        resource_type = "tax_class"
        factory = TaxClassFactory           # creates one row (in tenant A's schema)
        create_data = {"code": "lux", "name": "Luxury", "rate": "25.00"}
        update_data = {"rate": "26.50"}

What every resource gets: list (envelope, pagination, types), retrieve, create (201, or 202
for a worker's; the row exists, the answer shows what was sent), update (PATCH), delete (204
and gone, or 405 where the resource is not deletable), 401 without credentials, 403
PERMISSION_DENIED for a user whose roles do not open the ISP area (a Field Tech), 404 for
tenant A's id on tenant B's host (read, update and delete), and a list whose query count does
not grow with its rows.

`create_data` / `update_data` may be methods (called inside tenant A's schema) when they refer
to other rows. Requests switch the connection to the host's schema: direct ORM work in a test
goes through `with self.in_a():` (or `in_b()`).
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context

from apps.identity import services as identity
from apps.identity.models import Role
from tests.conftest import HostClient, host_of, obtain_tokens

ALL_OPERATIONS = frozenset({"list", "retrieve", "create", "update", "delete"})
TECH_PASSWORD = "field-tech-password-1"


def as_text(value) -> str | None:
    return None if value is None else str(value)


@pytest.mark.django_db
class ResourceTests:
    path: str
    resource_type: str
    factory = None
    create_data: dict = {}
    update_data: dict = {}
    #: A body the create must refuse (by default one missing every required field).
    invalid_data: dict = {"unknown": "x"}
    #: What the resource supports; the others must answer 405 METHOD_NOT_ALLOWED.
    operations = ALL_OPERATIONS
    #: The status of a successful create (202 for a resource created by a worker).
    created_status = 201
    #: Rows to create for the query-count guard (small, large).
    query_count_sizes = (2, 20)

    # --- fixtures and helpers ------------------------------------------------------------------

    @pytest.fixture(autouse=True)
    def _tenants(self, tenant_a, tenant_b):
        self.schema_a, self.schema_b = tenant_a.schema_name, tenant_b.schema_name

    def in_a(self):
        return schema_context(self.schema_a)

    def in_b(self):
        return schema_context(self.schema_b)

    def make(self, **fields):
        """One row of the resource in tenant A (override when a factory is not enough)."""
        with self.in_a():
            return self.factory(**fields)

    def payload(self, data) -> dict:
        with self.in_a():
            return dict(data() if callable(data) else data)

    def detail(self, pk) -> str:
        return f"{self.path}{pk}/"

    def exists(self, pk) -> bool:
        with self.in_a():
            return self.factory._meta.model.objects.filter(pk=pk).exists()

    @pytest.fixture
    def api_b(self, client_b):
        return HostClient(client_b.host).authenticate(obtain_tokens(client_b)["access"])

    @pytest.fixture
    def field_tech_api(self, tenant_a):
        """Tenant A's user whose only role (Field Tech) opens the technician app, not ISP."""
        with schema_context(tenant_a.schema_name):
            user = identity.user_create(username="tech-tom", password=TECH_PASSWORD)
            identity.role_grant(user=user, role=Role.objects.get(name="Field Tech"))
        client = HostClient(host_of("tenant-a"))
        return client.authenticate(obtain_tokens(client, "tech-tom", TECH_PASSWORD)["access"])

    def assert_attributes(self, attributes: dict, sent: dict):
        for name, value in sent.items():
            shown = attributes[name]
            if isinstance(value, int | str | bool) or value is None:
                assert as_text(shown) == as_text(value), (name, shown, value)

    @staticmethod
    def error(response, status: int, code: str) -> dict:
        assert response.status_code == status, response.content[:500]
        body = response.json()["error"]
        assert body["code"] == code
        assert body["request_id"]
        return body

    # --- reads ---------------------------------------------------------------------------------

    def test_list_answers_the_rows_in_the_envelope(self, api_a):
        if "list" not in self.operations:
            pytest.skip("no list")
        rows = [self.make(), self.make()]

        response = api_a.get(self.path)

        assert response.status_code == 200, response.content[:500]
        body = response.json()
        ids = {item["id"] for item in body["data"]}
        assert {str(row.pk) for row in rows} <= ids
        assert {item["type"] for item in body["data"]} == {self.resource_type}
        assert body["meta"]["pagination"]["count"] == len(ids)
        first = body["data"][0]
        assert first["links"]["self"] == self.detail(first["id"])

    def test_retrieve_answers_one_row(self, api_a):
        row = self.make()

        response = api_a.get(self.detail(row.pk))

        assert response.status_code == 200, response.content[:500]
        data = response.json()["data"]
        assert (data["id"], data["type"]) == (str(row.pk), self.resource_type)
        assert response.json()["links"]["self"] == self.detail(row.pk)

    def test_unknown_id_is_not_found(self, api_a):
        self.error(api_a.get(self.detail(987654321)), 404, "NOT_FOUND")

    # --- writes --------------------------------------------------------------------------------

    def test_create_stores_the_row_and_answers_it(self, api_a):
        data = self.payload(self.create_data)

        response = api_a.post_json(self.path, data)

        if "create" not in self.operations:
            self.error(response, 405, "METHOD_NOT_ALLOWED")
            return
        assert response.status_code == self.created_status, response.content[:1000]
        created = response.json()["data"]
        assert created["type"] == self.resource_type
        assert response.json()["links"]["self"] == self.detail(created["id"])
        self.assert_attributes(created["attributes"], data)
        assert self.exists(created["id"])

    def test_invalid_create_is_a_validation_error_and_writes_nothing(self, api_a):
        if "create" not in self.operations:
            pytest.skip("no create")
        with self.in_a():
            before = self.factory._meta.model.objects.count()

        response = api_a.post_json(self.path, self.invalid_data)

        body = self.error(response, 400, "VALIDATION_ERROR")
        assert body["details"], "a validation error names its fields"
        with self.in_a():
            assert self.factory._meta.model.objects.count() == before

    def test_update_changes_the_row(self, api_a):
        row = self.make()
        data = self.payload(self.update_data)

        response = api_a.patch(self.detail(row.pk), data, content_type="application/json")

        if "update" not in self.operations:
            self.error(response, 405, "METHOD_NOT_ALLOWED")
            return
        assert response.status_code == 200, response.content[:1000]
        self.assert_attributes(response.json()["data"]["attributes"], data)
        reread = api_a.get(self.detail(row.pk)).json()["data"]["attributes"]
        self.assert_attributes(reread, data)

    def test_delete_removes_the_row(self, api_a):
        row = self.make()

        response = api_a.delete(self.detail(row.pk))

        if "delete" not in self.operations:
            self.error(response, 405, "METHOD_NOT_ALLOWED")
            assert self.exists(row.pk)
            return
        assert response.status_code == 204, response.content[:500]
        assert not self.exists(row.pk)

    # --- who may --------------------------------------------------------------------------------

    def test_anonymous_request_is_not_authenticated(self, client_a):
        row = self.make()

        self.error(client_a.get(self.path), 401, "NOT_AUTHENTICATED")
        self.error(client_a.get(self.detail(row.pk)), 401, "NOT_AUTHENTICATED")

    def test_user_whose_roles_lack_the_isp_area_is_refused(self, field_tech_api):
        row = self.make()

        listing = field_tech_api.get(self.path)
        one = field_tech_api.get(self.detail(row.pk))
        create = field_tech_api.post_json(self.path, self.payload(self.create_data))

        for response in (listing, one, create):
            body = self.error(response, 403, "PERMISSION_DENIED")
            assert "ISP Framework" in body["message"]

    def test_tenant_a_id_on_tenant_b_host_is_not_found(self, api_b):
        row = self.make()

        self.error(api_b.get(self.detail(row.pk)), 404, "NOT_FOUND")
        patch = api_b.patch(
            self.detail(row.pk), self.payload(self.update_data), content_type="application/json"
        )
        assert patch.status_code in (404, 405)
        assert api_b.delete(self.detail(row.pk)).status_code in (404, 405)
        assert self.exists(row.pk)

    # --- cost ------------------------------------------------------------------------------------

    def test_list_query_count_does_not_grow_with_rows(self, api_a):
        if "list" not in self.operations:
            pytest.skip("no list")
        small, large = self.query_count_sizes

        def queries_of_list():
            api_a.get(self.path)  # the same warm state each time (caches, search path)
            with CaptureQueriesContext(connection) as queries:
                answer = api_a.get(self.path)
            return queries, answer

        for _ in range(small):
            self.make()
        few, _ = queries_of_list()
        for _ in range(large - small):
            self.make()
        many, response = queries_of_list()

        assert response.status_code == 200
        assert len(response.json()["data"]) >= large
        assert len(many) == len(few), "\n".join(q["sql"] for q in many.captured_queries)
