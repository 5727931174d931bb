"""The one generic test case of an API resource (STYLE.md §11, §12; after NetBox's
utilities/testing/api.py APIViewTestCases and its query_counts.json).

A resource's test declares what it is, and inherits every common check. The common case is
a path and a type, and three declarations: how to make a row, what to create, what to update.

    class TestTaxClasses(ResourceTests):
        path = "/api/v1/isp/tax-classes/"
        resource_type = "tax_class"
        factory = TaxClassFactory       # makes one row (in the current tenant's schema)
        create_data = {"code": "lux", "name": "Luxury", "rate": "25.00"}
        update_data = {"rate": "26.50"}

What every resource gets, on tenant A's host unless said otherwise:
* list: the envelope `{data, meta, links}`, `meta.pagination`, every item of the resource's
  `type` with its `links.self`; retrieve; an unknown id is 404 NOT_FOUND;
* create (201, or `created_status = 202` for a worker's): the row exists and the answer shows
  what was sent; update (PATCH): the answer and a reread show it; delete: 204 and gone;
* every write leaves an `AuditEntry` of the object (create/update/delete) in tenant A's schema;
  an invalid create is 400 VALIDATION_ERROR with details, and writes nothing;
* 405 METHOD_NOT_ALLOWED for each operation not in `operations`, the row untouched;
* 401 NOT_AUTHENTICATED without credentials, 403 PERMISSION_DENIED (naming the area) for a user
  whose roles do not open the path's area, for every verb, the row untouched;
* 403 APP_NOT_SUBSCRIBED on a session tenant without the path's app (/api/v1/<app>/...);
* 404 NOT_FOUND for tenant A's id on another tenant's host (one that has the app), for GET,
  PATCH, PUT and DELETE (405 for the verbs the resource never answers), the row untouched; and
  for that tenant's id on tenant A's host;
* the list's query count: the same with few rows as with many, and equal to the count recorded
  for the path in tests/query_counts.json. After an intended change (or for a new resource),
  record the counts again and commit the file:

      UPDATE_QUERY_COUNTS=1 make test ARGS="-n 0 tests/isp tests/crm -k query"

Knobs, all optional:
* `create_data` / `update_data` may be methods, called inside tenant A's schema, when they refer
  to other rows (`return {"customer": CustomerFactory().pk, ...}`);
* `operations = {"list", "retrieve", "create"}`: what the resource answers (default all five);
* `created_status = 202`; `invalid_data` (a create body the resource must refuse);
  `created_shown`: what a create answers where the resource normalises what was sent;
* `model` when `make()` is overridden instead of declaring a `factory`; `make(**fields)` runs in
  the schema of the tenant the row is for;
* the `api` fixture: who runs the checks on tenant A (default its super admin); `tenant_api()`:
  who probes another tenant's ids on a host (default that tenant's super admin, who sees every
  row there, so a 404 is isolation and not visibility); `outsider_role`: the role of the user
  whose roles do not open the area (default Field Tech, who has the technician app only).

Layers over it, for rules a family of resources shares: tests/crm/ownership.py
(`OwnedResourceTests`: owner / shared / manager visibility and writes, reassignment) and the
portal's `PortalResourceTests` (tests/isp/test_api_portal.py: a customer user's own rows).

Requests switch the connection to the host's schema: direct ORM work in a test goes through
`with self.in_a():`.
"""

import fcntl
import json
import os
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context

from apps.core.kit.declaration import area_for_path
from apps.core.models import AuditEntry
from apps.identity import services as identity
from apps.identity.models import Role
from apps.platform.catalog.models import App
from apps.platform.tenants.models import Tenant
from tests.conftest import TENANT_APPS, TENANTS, HostClient, host_of, obtain_tokens

ALL_OPERATIONS = frozenset({"list", "retrieve", "create", "update", "delete"})
QUERY_COUNTS = Path(__file__).with_name("query_counts.json")
RECORD_QUERY_COUNTS = 'UPDATE_QUERY_COUNTS=1 make test ARGS="-n 0 tests/isp tests/crm -k query"'
OUTSIDER = ("outsider", "outsider-password-1")
#: Rows made on another tenant for the cross-tenant checks get ids from here on, so that
#: tenant A has no row of that id (ids are per schema).
FOREIGN_IDS_FROM = 987_654
UNKNOWN_ID = 987_654_321
VERBS = ("list", "retrieve", "create", "patch", "put", "delete")
ROW_VERBS = ("retrieve", "patch", "put", "delete")


def needs(operation: str):
    """A check that exists only for resources supporting `operation` (see __init_subclass__):
    a resource without it has no such test, rather than a skipped one."""

    def mark(test):
        test.needs = operation
        return test

    return mark


def needs_a_missing_operation(test):
    test.needs = None
    return test


def app_of(path: str) -> str:
    """The catalog app of an API path: /api/v1/<app>/..."""
    return path.strip("/").split("/")[2]


def tenant_with(app: str, *, has: bool) -> str:
    """The slug of a session tenant other than A that subscribes to `app` (or does not)."""
    for slug, apps in TENANT_APPS.items():
        if slug != TENANTS["a"] and (app in apps) == has:
            return slug
    raise LookupError(
        f"tests/conftest.py provisions no tenant {'with' if has else 'without'} {app}"
    )


def owner_api(slug: str) -> HostClient:
    """A tenant's super admin (the session's `owner`), with a bearer token, on its host."""
    client = HostClient(host_of(slug))
    return client.authenticate(obtain_tokens(client)["access"])


def record_query_count(path: str, count: int) -> None:
    """Write one resource's count into tests/query_counts.json (locked: safe under xdist)."""
    with open(QUERY_COUNTS, "a+", encoding="utf-8") as file:
        fcntl.flock(file, fcntl.LOCK_EX)
        file.seek(0)
        counts = json.loads(file.read() or "{}")
        counts[path] = count
        file.seek(0)
        file.truncate()
        file.write(json.dumps(dict(sorted(counts.items())), indent=2) + "\n")


def recorded_query_count(path: str) -> int:
    counts = json.loads(QUERY_COUNTS.read_text()) if QUERY_COUNTS.exists() else {}
    if path not in counts:
        pytest.fail(
            f"No query count is recorded for {path} in tests/query_counts.json. "
            f"Record it with `{RECORD_QUERY_COUNTS}` and commit the file."
        )
    return counts[path]


@pytest.mark.django_db
class ResourceTests:
    path: str
    resource_type: str
    factory = None
    model = None
    create_data: dict = {}
    update_data: dict = {}
    #: What a create answers where the resource normalises what was sent (a lower-cased
    #: email, deduplicated tags): field → the value shown.
    created_shown: dict = {}
    #: A body the create must refuse (by default one missing every required field).
    invalid_data: dict = {"unknown": "x"}
    #: What the resource supports; the others must answer 405 METHOD_NOT_ALLOWED.
    operations = ALL_OPERATIONS
    #: The status of a successful create (202 for a resource created by a worker).
    created_status = 201
    #: Rows to create for the query-count guard (few, many).
    query_count_sizes = (2, 20)
    #: The role of a user of tenant A whose roles do not open the path's area.
    outsider_role = "Field Tech"

    def __init_subclass__(cls, **kwargs):
        """Only the checks of what the resource supports are collected (by pytest: a test
        attribute set to None is not a test); the 405 check only when it lacks something."""
        super().__init_subclass__(**kwargs)
        supported = set(cls.operations)
        for name, test in vars(ResourceTests).items():
            if not hasattr(test, "needs"):
                continue
            applies = test.needs in supported if test.needs else supported != ALL_OPERATIONS
            setattr(cls, name, test if applies else None)

    # --- what a resource may override -------------------------------------------------------

    def make(self, **fields):
        """One row of the resource, in the current schema."""
        return self.factory(**fields)

    @pytest.fixture
    def api(self, api_a):
        """Who runs the checks on tenant A's host."""
        return api_a

    def tenant_api(self, slug: str) -> HostClient:
        """Who asks a tenant's host for another tenant's ids."""
        return owner_api(slug)

    # --- helpers ------------------------------------------------------------------------------

    @pytest.fixture(autouse=True)
    def _tenants(self, tenant_a):
        self.schema_a = tenant_a.schema_name
        self.app = app_of(self.path)
        self.area = area_for_path(self.path)  # the area the path belongs to (its declaration)
        #: Another session tenant subscribing to the app (cross-tenant ids), and one that
        #: does not (the licence gate).
        self.other_slug = tenant_with(self.app, has=True)
        self.unsubscribed_slug = tenant_with(self.app, has=False)

    @property
    def model_class(self):
        return self.model or self.factory._meta.model

    def in_a(self):
        return schema_context(self.schema_a)

    def schema_of(self, slug: str) -> str:
        return Tenant.objects.get(slug=slug).schema_name

    def row(self, slug: str | None = None, **fields):
        """Make a row in tenant A's schema (or the tenant `slug`'s)."""
        with schema_context(self.schema_of(slug) if slug else self.schema_a):
            return self.make(**fields)

    def foreign_row(self, slug: str):
        """A row of the tenant `slug` whose id tenant A has no row of."""
        model = self.model_class
        with schema_context(self.schema_of(slug)), connection.cursor() as cursor:
            table = f'"{connection.schema_name}"."{model._meta.db_table}"'
            cursor.execute("SELECT pg_get_serial_sequence(%s, %s)", [table, model._meta.pk.column])
            (sequence,) = cursor.fetchone()
            cursor.execute(
                f"SELECT setval(%s, GREATEST(%s, (SELECT last_value FROM {sequence})))",
                [sequence, FOREIGN_IDS_FROM],
            )
            row = self.make()
        assert self.state(row.pk) is None, "tenant A must not have the foreign row's id"
        return row

    def state(self, pk, slug: str | None = None) -> dict | None:
        """The row's stored values (None: no such row), to prove it untouched."""
        with schema_context(self.schema_of(slug) if slug else self.schema_a):
            return self.model_class.objects.filter(pk=pk).values().first()

    def count(self) -> int:
        with self.in_a():
            return self.model_class.objects.count()

    def payload(self, data) -> dict:
        with self.in_a():
            return dict(data() if callable(data) else data)

    def detail(self, pk) -> str:
        return f"{self.path}{pk}/"

    def every_verb(self, client, pk, data=None, verbs=VERBS) -> dict:
        """The answer of each of `verbs` (list, retrieve, create, patch, put, delete) on the
        list or on the row `pk`."""
        data = data if data is not None else {}
        url = self.detail(pk)
        send = {
            "list": lambda: client.get(self.path),
            "retrieve": lambda: client.get(url),
            "create": lambda: client.post_json(self.path, data),
            "patch": lambda: client.patch(url, data, content_type="application/json"),
            "put": lambda: client.put(url, data, content_type="application/json"),
            "delete": lambda: client.delete(url),
        }
        return {verb: send[verb]() for verb in verbs}

    @staticmethod
    def operation_of(verb: str) -> str:
        return {"patch": "update", "put": "update"}.get(verb, verb)

    def audited(self, action: str, pk) -> bool:
        with self.in_a():
            return AuditEntry.objects.filter(
                action=action, object_type=self.model_class._meta.label_lower, object_id=str(pk)
            ).exists()

    @pytest.fixture
    def outsider_api(self, tenant_a):
        """Tenant A's user whose only role does not open the path's area."""
        username, password = OUTSIDER
        with schema_context(tenant_a.schema_name):
            user = identity.user_create(username=username, password=password)
            identity.role_grant(user=user, role=Role.objects.get(name=self.outsider_role))
        client = HostClient(host_of(TENANTS["a"]))
        return client.authenticate(obtain_tokens(client, username, password)["access"])

    @staticmethod
    def error(response, status: int, code: str, what: str = "") -> dict:
        assert response.status_code == status, (what, response.content[:500])
        body = response.json()["error"]
        assert body["code"] == code, body
        assert body["request_id"]
        return body

    @staticmethod
    def assert_shown(attributes: dict, sent: dict, *, scalars_only: bool = False):
        """The answer shows what was sent (lists and nested rows too, unless `scalars_only`:
        a create may normalise them, and the resource's own tests say how)."""
        for name, value in sent.items():
            if scalars_only and not (isinstance(value, int | str | bool) or value is None):
                continue
            assert attributes[name] == value, (name, attributes[name], value)

    # --- reads ----------------------------------------------------------------------------------

    @needs("list")
    def test_list_answers_the_rows_in_the_envelope(self, api):
        rows = [self.row(), self.row()]

        response = api.get(self.path)

        assert response.status_code == 200, response.content[:500]
        body = response.json()
        assert set(body) == {"data", "meta", "links"}
        ids = {item["id"] for item in body["data"]}
        assert {str(row.pk) for row in rows} <= ids
        assert {item["type"] for item in body["data"]} == {self.resource_type}
        assert body["meta"]["pagination"]["count"] == len(ids)
        assert set(body["meta"]["pagination"]) == {"count", "page", "page_size", "pages"}
        assert {"self", "next", "prev"} <= set(body["links"])
        for item in body["data"]:
            assert item["links"]["self"] == self.detail(item["id"])

    @needs("retrieve")
    def test_retrieve_answers_one_row(self, api):
        row = self.row()

        response = api.get(self.detail(row.pk))

        assert response.status_code == 200, response.content[:500]
        data = response.json()["data"]
        assert (data["id"], data["type"]) == (str(row.pk), self.resource_type)
        assert response.json()["links"]["self"] == self.detail(row.pk)

    @needs("retrieve")
    def test_unknown_id_is_not_found(self, api):
        self.error(api.get(self.detail(UNKNOWN_ID)), 404, "NOT_FOUND")

    # --- writes ---------------------------------------------------------------------------------

    @needs("create")
    def test_create_stores_the_row_audits_it_and_answers_it(self, api):
        data = self.payload(self.create_data)

        response = api.post_json(self.path, data)

        assert response.status_code == self.created_status, response.content[:1000]
        created = response.json()["data"]
        assert created["type"] == self.resource_type
        assert response.json()["links"]["self"] == self.detail(created["id"])
        self.assert_shown(created["attributes"], {**data, **self.created_shown}, scalars_only=True)
        self.assert_shown(created["attributes"], self.created_shown)
        assert self.state(created["id"]) is not None
        assert self.audited("create", created["id"])

    @needs("create")
    def test_invalid_create_is_a_validation_error_and_writes_nothing(self, api):
        before = self.count()
        with self.in_a():
            entries = AuditEntry.objects.count()

        response = api.post_json(self.path, self.payload(self.invalid_data))

        body = self.error(response, 400, "VALIDATION_ERROR")
        assert body["details"], "a validation error names its fields"
        assert self.count() == before
        with self.in_a():
            assert AuditEntry.objects.count() == entries

    @needs("update")
    def test_update_changes_the_row_and_audits_it(self, api):
        row = self.row()
        data = self.payload(self.update_data)

        response = api.patch(self.detail(row.pk), data, content_type="application/json")

        assert response.status_code == 200, response.content[:1000]
        self.assert_shown(response.json()["data"]["attributes"], data)
        reread = api.get(self.detail(row.pk))
        assert reread.status_code == 200, reread.content[:500]
        self.assert_shown(reread.json()["data"]["attributes"], data)
        assert self.audited("update", row.pk)

    @needs("delete")
    def test_delete_removes_the_row_and_audits_it(self, api):
        row = self.row()

        response = api.delete(self.detail(row.pk))

        assert response.status_code == 204, response.content[:500]
        assert self.state(row.pk) is None
        assert self.audited("delete", row.pk)

    @needs_a_missing_operation
    def test_operations_it_does_not_support_are_405_and_touch_nothing(self, api):
        unsupported = ALL_OPERATIONS - set(self.operations)
        row = self.row()
        data = self.payload(self.update_data)
        before, rows = self.state(row.pk), self.count()
        verbs = [verb for verb in VERBS if self.operation_of(verb) in unsupported]

        for verb, response in self.every_verb(api, row.pk, data, verbs).items():
            self.error(response, 405, "METHOD_NOT_ALLOWED", verb)

        assert self.count() == rows
        assert self.state(row.pk) == before

    # --- who may --------------------------------------------------------------------------------

    def test_anonymous_requests_are_not_authenticated(self, client_a):
        row = self.row()
        before = self.state(row.pk)

        for verb, response in self.every_verb(client_a, row.pk).items():
            self.error(response, 401, "NOT_AUTHENTICATED", verb)

        assert self.state(row.pk) == before

    def test_a_user_whose_roles_do_not_open_the_area_is_refused(self, outsider_api):
        row = self.row()
        data = self.payload(self.create_data)
        before, rows = self.state(row.pk), self.count()

        answers = self.every_verb(outsider_api, row.pk, data)

        for verb, response in answers.items():
            body = self.error(response, 403, "PERMISSION_DENIED", verb)
            assert self.area.name in body["message"]
        assert self.count() == rows
        assert self.state(row.pk) == before

    def test_a_tenant_without_the_app_gets_app_not_subscribed(self):
        api = owner_api(self.unsubscribed_slug)
        app = App.objects.get(key=self.app)

        for verb, response in self.every_verb(api, 1).items():
            body = self.error(response, 403, "APP_NOT_SUBSCRIBED", verb)
            assert app.name in body["message"]

    def test_tenant_a_id_on_another_tenants_host_is_not_found(self):
        row = self.row()
        data = self.payload(self.update_data)
        before = self.state(row.pk)
        assert self.state(row.pk, self.other_slug) is None, "the other tenant has this id"

        answers = self.every_verb(self.tenant_api(self.other_slug), row.pk, data, ROW_VERBS)

        self.assert_not_found(answers)
        assert self.state(row.pk) == before

    def test_another_tenants_id_on_tenant_a_host_is_not_found(self):
        foreign = self.foreign_row(self.other_slug)
        data = self.payload(self.update_data)
        before = self.state(foreign.pk, self.other_slug)

        answers = self.every_verb(self.tenant_api(TENANTS["a"]), foreign.pk, data, ROW_VERBS)

        self.assert_not_found(answers)
        assert self.state(foreign.pk, self.other_slug) == before

    def assert_not_found(self, answers: dict):
        """404 for every verb on the row; 405 where the resource never answers the verb (the
        same answer as for an id of its own: nothing to learn)."""
        for verb, response in answers.items():
            if self.operation_of(verb) in self.operations:
                self.error(response, 404, "NOT_FOUND", verb)
            else:
                self.error(response, 405, "METHOD_NOT_ALLOWED", verb)

    # --- cost -----------------------------------------------------------------------------------

    @needs("list")
    def test_list_query_count_is_constant_and_as_recorded(self, api):
        few_rows, many_rows = self.query_count_sizes

        def queries_of_list(rows: int):
            # A warm-up request first, so that both counts see the same warm caches (making
            # rows resets the connection's schema and content-type cache).
            api.get(self.path)
            with CaptureQueriesContext(connection) as queries:
                response = api.get(self.path)
            assert response.status_code == 200, response.content[:500]
            assert len(response.json()["data"]) >= rows
            return queries

        for _ in range(few_rows):
            self.row()
        few = queries_of_list(few_rows)
        for _ in range(many_rows - few_rows):
            self.row()
        many = queries_of_list(many_rows)

        assert len(many) == len(few), "\n".join(q["sql"] for q in many.captured_queries)
        if os.environ.get("UPDATE_QUERY_COUNTS"):
            record_query_count(self.path, len(many))
            return
        recorded = recorded_query_count(self.path)
        assert len(many) == recorded, (
            f"GET {self.path} made {len(many)} queries; tests/query_counts.json records "
            f"{recorded}. If the change is intended, run `{RECORD_QUERY_COUNTS}` and commit "
            "the file.\n" + "\n".join(q["sql"] for q in many.captured_queries)
        )
