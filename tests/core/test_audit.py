"""The audit trail (issue 4 §6): every create, update and delete through the API, the admin,
pages and tasks is recorded with actor, tenant, object, changes, request id, IP and time; it is
readable by the tenant super admin (and platform staff on the platform), per schema, and never
editable. The suite-wide check that every write leaves an entry is tests/audit_coverage.py;
its own behaviour is tested at the end of this module."""

import uuid
from html.parser import HTMLParser

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.db import DatabaseError, connection, transaction
from django_tenants.utils import schema_context
from rest_framework import mixins

from apps.core.api.viewsets import BaseViewSet
from apps.core.audit import audit_created, audit_record, audit_updated, diff, snapshot
from apps.core.models import AuditEntry, AuditEntryIsImmutable, WorkerHeartbeat
from apps.core.tasks import record_heartbeat
from apps.identity import services as identity_services
from apps.identity.models import User
from apps.platform.licensing.models import Subscription
from apps.platform.tenants import services as tenant_services
from apps.platform.tenants.models import Tenant
from tests.audit_coverage import Span
from tests.conftest import HostClient, obtain_tokens

pytestmark = [pytest.mark.django_db, pytest.mark.audited]

HEARTBEATS = "/api/v1/test/heartbeats/"
AUDIT_API = "/api/v1/audit/"


def entries(schema: str, **filters) -> list[AuditEntry]:
    with schema_context(schema):
        return list(AuditEntry.objects.filter(**filters).order_by("id"))


def request_id() -> str:
    return f"req-audit-{uuid.uuid4().hex}"


class FormValues(HTMLParser):
    """The values an HTML form would submit as it stands (inputs, checkboxes, selects)."""

    def __init__(self):
        super().__init__()
        self.data: dict[str, list[str]] = {}
        self._select: str | None = None

    def _add(self, name, value):
        self.data.setdefault(name, []).append(value)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        name = attrs.get("name")
        if tag == "input" and name and attrs.get("type") not in ("submit", "button", "file"):
            if attrs.get("type") in ("checkbox", "radio"):
                if "checked" in attrs:
                    self._add(name, attrs.get("value", "on"))
            else:
                self._add(name, attrs.get("value", ""))
        elif tag == "select" and name:
            self._select = name
        elif tag == "option" and self._select and "selected" in attrs:
            self._add(self._select, attrs.get("value", ""))
        elif tag == "textarea" and name:
            self._add(name, "")

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None


def form_values(html: str) -> dict[str, list[str]]:
    parser = FormValues()
    parser.feed(html)
    parser.data.pop("csrfmiddlewaretoken", None)
    return parser.data


# --- API: the base viewset records every create, update and delete ---------------------------


@pytest.mark.urls("tests.urls_tenant")
def test_api_create_update_delete_leave_entries_with_actor_object_changes_request_and_ip(api_a):
    ids = [request_id() for _ in range(3)]
    with schema_context("tenant_a"):
        owner_id = User.objects.get(username="owner").pk

    created = api_a.post_json(
        HEARTBEATS,
        {"source": "audit", "schema_name": "tenant_a", "task_id": "audit-1"},
        HTTP_X_REQUEST_ID=ids[0],
        REMOTE_ADDR="203.0.113.7",
    )
    pk = created.json()["data"]["id"]
    updated = api_a.patch(
        f"{HEARTBEATS}{pk}/",
        {"source": "audited"},
        content_type="application/json",
        HTTP_X_REQUEST_ID=ids[1],
        REMOTE_ADDR="203.0.113.7",
    )
    deleted = api_a.delete(f"{HEARTBEATS}{pk}/", HTTP_X_REQUEST_ID=ids[2], REMOTE_ADDR="::1")

    assert (created.status_code, updated.status_code, deleted.status_code) == (201, 200, 204)
    create, update, delete = entries("tenant_a", object_type="core.workerheartbeat")
    for entry, response in zip((create, update, delete), (created, updated, deleted), strict=True):
        assert entry.actor == "owner"
        assert entry.actor_id == owner_id
        assert entry.actor_type == "user"
        assert entry.tenant == "tenant_a"
        assert entry.object_id == str(pk)
        assert entry.source == "api"
        assert entry.request_id == response["X-Request-ID"]
    assert [create.request_id, update.request_id, delete.request_id] == ids
    assert (create.action, update.action, delete.action) == ("create", "update", "delete")
    assert (create.ip, update.ip, delete.ip) == ("203.0.113.7", "203.0.113.7", "::1")
    assert create.changes["source"] == [None, "audit"]
    assert create.changes["task_id"] == [None, "audit-1"]
    assert update.changes == {"source": ["audit", "audited"]}
    assert delete.changes["source"] == ["audited", None]
    assert delete.object_repr.startswith("audited @")
    assert entries("public", object_type="core.workerheartbeat") == []


def test_a_viewset_listing_drf_mixins_first_still_audits_its_writes():
    class Resource(mixins.CreateModelMixin, mixins.UpdateModelMixin, BaseViewSet):
        pass

    assert Resource.perform_create is BaseViewSet.perform_create
    assert Resource.perform_update is BaseViewSet.perform_update


# --- Admin ------------------------------------------------------------------------------------


def test_admin_save_of_a_user_on_a_tenant_host_is_recorded_as_admin(client_a):
    with schema_context("tenant_a"):
        clerk = identity_services.user_create(username="clerk", password="clerk-pass-123")
    client_a.sign_in()
    url = f"/admin/identity/user/{clerk.pk}/change/"
    data = form_values(client_a.get(url).content.decode())
    data["first_name"] = ["Clara"]

    response = client_a.post(url, data, HTTP_X_REQUEST_ID=(rid := request_id()))

    assert response.status_code == 302, response.content.decode()[:2000]
    (entry,) = entries("tenant_a", request_id=rid)
    assert (entry.action, entry.source, entry.actor) == ("update", "admin", "owner")
    assert (entry.object_type, entry.object_id) == ("identity.user", str(clerk.pk))
    assert entry.changes["first_name"] == ["", "Clara"]
    assert "password" not in entry.changes
    assert entries("tenant_a", action="login", actor="owner", source="admin")


@pytest.fixture
def active_tenant(db) -> Tenant:
    """A tenant row without a schema, as if provisioned: enough for the lifecycle services."""
    connection.set_schema_to_public()
    return Tenant.objects.create(
        name="Audit Co", slug="audit-co", schema_name="audit_co", status=Tenant.Status.ACTIVE
    )


def test_console_action_records_the_service_change_and_the_admin_action(active_tenant):
    tenant = active_tenant
    identity_services.user_create(
        username="auditor-op", password="op-password-1", is_superuser=True
    )
    console = HostClient("localhost").sign_in("auditor-op", "op-password-1")

    console.post(
        "/admin/tenants/tenant/",
        {"action": "suspend_tenants", ACTION_CHECKBOX_NAME: [tenant.pk], "index": "0"},
        HTTP_X_REQUEST_ID=(rid := request_id()),
    )

    suspend, admin_action = entries("public", request_id=rid)
    assert (suspend.action, suspend.actor, suspend.source) == ("suspend", "auditor-op", "admin")
    assert suspend.changes["status"] == ["active", "suspended"]
    assert (admin_action.action, admin_action.object_id) == ("admin_action", str(tenant.pk))
    assert admin_action.changes == {"admin_action": [None, "suspend_tenants"]}


# --- Services: platform actions in public, with the actor ------------------------------------


def test_subscription_change_through_the_management_api_is_recorded_in_public(tenant_a):
    connection.set_schema_to_public()
    operator = identity_services.user_create(
        username="operator", password="op-password-123", is_superuser=True
    )
    public = HostClient("localhost")
    public.authenticate(obtain_tokens(public, "operator", "op-password-123")["access"])
    subscription = Subscription.objects.get(tenant=tenant_a, app__key="crm")

    response = public.post_json(
        f"/api/v1/platform/subscriptions/{subscription.pk}/suspend/",
        {"note": "unpaid"},
        HTTP_X_REQUEST_ID=(rid := request_id()),
    )

    assert response.status_code == 200, response.content
    (entry,) = entries("public", request_id=rid)
    assert (entry.action, entry.tenant, entry.source) == ("suspend", "public", "api")
    assert (entry.actor, entry.actor_id, entry.actor_type) == ("operator", operator.pk, "user")
    assert (entry.object_type, entry.object_id) == ("licensing.subscription", str(subscription.pk))
    assert entry.changes["status"] == [subscription.status, "suspended"]
    assert entries("tenant_a", request_id=rid) == []


def test_tenant_request_masks_the_admin_password_hash(db):
    connection.set_schema_to_public()
    tenant = tenant_services.tenant_request(
        name="Mask Co", slug="mask-co", admin_email="m@mask.example.com",
        admin_password="a-long-password-1", dispatch=False,
    )  # fmt: skip

    (entry,) = entries("public", object_type="tenants.tenant", object_id=str(tenant.pk))
    assert entry.action == "create"
    assert entry.changes["admin_password_hash"] == [None, "***"]
    assert tenant.admin_password_hash not in str(entry.changes)


def test_passwords_are_never_recorded(db):
    with schema_context("tenant_a"):
        user = identity_services.user_create(username="secretive", password="s3cret-pass-word")
        hash_before = user.password
        user.set_password("an0ther-pass-word")
        user.save()

        created, changed = AuditEntry.objects.filter(
            object_type="identity.user", object_id=str(user.pk)
        ).order_by("id")
    assert created.changes["password"] == [None, "***"]
    assert (changed.action, changed.changes) == ("password_change", {"password": ["***", "***"]})
    assert hash_before not in str(created.changes)
    assert "an0ther" not in str(changed.changes)
    assert diff({"password": "a"}, {"password": "b"}) == {"password": ["a", "b"]}  # masked later
    with schema_context("tenant_a"):
        raw = audit_record(action="update", instance=user, changes={"token": ["t1", "t2"]})
    assert raw.changes == {"token": ["***", "***"]}


def test_sign_ins_and_refused_sign_ins_are_recorded(client_a):
    refused = client_a.post("/admin/login/", {"username": "owner", "password": "wrong"})
    client_a.sign_in()

    assert refused.status_code == 200
    failed = entries("tenant_a", action="login_failed")[-1]
    login = entries("tenant_a", action="login")[-1]
    assert (failed.actor, failed.actor_type, failed.object_repr) == ("owner", "anonymous", "owner")
    assert (login.actor, login.actor_type, login.object_type) == ("owner", "user", "identity.user")


@pytest.mark.slow
def test_a_task_records_its_writes_as_the_task(celery_worker):
    with schema_context("tenant_a"):
        result = record_heartbeat.delay(source="audited-task")
    pk = result.get(timeout=20)

    # The worker committed: its rows are visible to this test's transaction.
    (entry,) = entries("tenant_a", object_type="core.workerheartbeat", object_id=str(pk))
    assert (entry.actor, entry.actor_type, entry.source) == (
        "task:core.record_heartbeat",
        "task",
        "task",
    )
    assert entry.request_id == f"task_{result.id}"
    assert entry.changes["source"] == [None, "audited-task"]
    assert entry.tenant == "tenant_a"
    with schema_context("tenant_a"):
        committed_heartbeat = WorkerHeartbeat.objects.filter(pk=pk)
        assert committed_heartbeat.exists()
    from tests.core.test_tasks import purge_heartbeats

    purge_heartbeats()  # the audit entry stays: it can never be deleted


# --- Never editable ---------------------------------------------------------------------------


def test_entries_cannot_be_changed_or_deleted_through_the_orm():
    with schema_context("tenant_a"):
        entry = audit_record(action="note", object_type="test.thing", object_id="1")
        entry.action = "tampered"

        with pytest.raises(AuditEntryIsImmutable):
            entry.save()
        with pytest.raises(AuditEntryIsImmutable):
            entry.delete()
        with pytest.raises(AuditEntryIsImmutable):
            AuditEntry.objects.filter(pk=entry.pk).update(action="tampered")
        with pytest.raises(AuditEntryIsImmutable):
            AuditEntry.objects.filter(pk=entry.pk).delete()
        assert AuditEntry.objects.get(pk=entry.pk).action == "note"


@pytest.mark.parametrize("schema", ["public", "tenant_a", "tenant_b"])
def test_raw_sql_cannot_change_or_delete_entries_in_any_schema(schema):
    with schema_context(schema):
        entry = audit_record(action="note", object_type="test.thing", object_id="2")
        for statement in (
            "UPDATE core_auditentry SET action = 'tampered' WHERE id = %s",
            "DELETE FROM core_auditentry WHERE id = %s",
        ):
            with (
                pytest.raises(DatabaseError, match="never changed nor deleted"),
                transaction.atomic(),
                connection.cursor() as cursor,
            ):
                cursor.execute(statement, [entry.pk])
        assert AuditEntry.objects.get(pk=entry.pk).action == "note"
        with connection.cursor() as cursor:
            # The trigger's function lives in the schema itself (cloned with tenant schemas).
            cursor.execute(
                "SELECT n.nspname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                "JOIN pg_namespace cn ON cn.oid = c.relnamespace "
                "JOIN pg_proc p ON p.oid = t.tgfoid JOIN pg_namespace n ON n.oid = p.pronamespace "
                "WHERE c.relname = 'core_auditentry' AND cn.nspname = %s",
                [schema],
            )
            assert cursor.fetchall() == [(schema,)]


# --- Visibility: read-only, per schema, to the super admin --------------------------------------


@pytest.mark.urls("tests.urls_tenant")
def test_audit_api_lists_and_filters_this_tenants_entries_only(api_a, client_b):
    rid = request_id()
    api_a.post_json(
        HEARTBEATS, {"source": "a", "schema_name": "a", "task_id": "x-1"}, HTTP_X_REQUEST_ID=rid
    )
    api_b = HostClient(client_b.host).authenticate(obtain_tokens(client_b)["access"])

    on_a = api_a.get(AUDIT_API, {"request_id": rid, "action": "create"})
    on_b = api_b.get(AUDIT_API, {"request_id": rid})
    filtered_out = api_a.get(AUDIT_API, {"request_id": rid, "action": "delete"})
    by_time = api_a.get(AUDIT_API, {"request_id": rid, "created_at__gte": "2999-01-01T00:00:00Z"})

    assert on_a.status_code == 200
    (row,) = on_a.json()["data"]
    assert row["attributes"]["object_type"] == "core.workerheartbeat"
    assert row["attributes"]["actor"] == "owner"
    assert row["attributes"]["tenant"] == "tenant_a"
    assert on_b.status_code == 200
    assert on_b.json()["data"] == []
    assert filtered_out.json()["data"] == []
    assert by_time.json()["data"] == []


def test_audit_api_is_read_only(api_a):
    entry_id = entries_any_id()

    assert api_a.post_json(AUDIT_API, {"action": "forged"}).status_code == 405
    assert api_a.delete(f"{AUDIT_API}{entry_id}/").status_code == 405
    assert (
        api_a.patch(f"{AUDIT_API}{entry_id}/", {}, content_type="application/json").status_code
        == 405
    )


def entries_any_id() -> int:
    with schema_context("tenant_a"):
        return audit_record(action="note", object_type="test.thing").pk


def test_audit_api_refuses_a_user_who_is_not_the_super_admin(client_a):
    with schema_context("tenant_a"):
        identity_services.user_create(username="clerk", password="clerk-pass-123")

    client = HostClient(client_a.host)
    client.authenticate(obtain_tokens(client_a, "clerk", "clerk-pass-123")["access"])
    response = client.get(AUDIT_API)

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "PERMISSION_DENIED"


def test_audit_admin_shows_each_tenant_its_own_entries_read_only(client_a, client_b):
    marker = f"audit-marker-{uuid.uuid4().hex[:8]}"
    with schema_context("tenant_a"):
        audit_record(action="note", object_type="test.thing", object_repr=marker)
    client_a.sign_in()
    client_b.sign_in()

    on_a = client_a.get("/admin/core/auditentry/", {"q": marker})
    on_b = client_b.get("/admin/core/auditentry/", {"q": marker})
    add = client_a.get("/admin/core/auditentry/add/")

    assert on_a.status_code == 200
    assert on_a.context["cl"].result_count == 1
    assert on_b.status_code == 200
    assert on_b.context["cl"].result_count == 0
    assert add.status_code == 403
    entry = entries("tenant_a", object_repr=marker)[0]
    change_page = client_a.get(f"/admin/core/auditentry/{entry.pk}/change/").content.decode()
    assert 'name="_save"' not in change_page  # a view page, no form to save


def test_audit_admin_is_hidden_from_a_tenant_user_who_is_not_the_super_admin(client_a):
    with schema_context("tenant_a"):
        user = identity_services.user_create(username="staffer", password="staff-pass-123")
        before = snapshot(user)
        user.is_staff = True
        user.save()
        audit_updated(user, before)

    client = HostClient(client_a.host).sign_in("staffer", "staff-pass-123")

    assert client.get("/admin/core/auditentry/").status_code == 403


def test_platform_staff_read_the_platform_trail_on_the_public_host(public_client):
    connection.set_schema_to_public()
    identity_services.user_create(username="auditor", password="op-password-1", is_superuser=True)
    marker = f"platform-marker-{uuid.uuid4().hex[:8]}"
    audit_record(action="note", object_type="test.thing", object_repr=marker)
    with schema_context("tenant_a"):
        audit_record(action="note", object_type="test.thing", object_repr=f"{marker}-tenant")
    client = HostClient("localhost")
    client.authenticate(obtain_tokens(client, "auditor", "op-password-1")["access"])

    listed = client.get(AUDIT_API, {"object_type": "test.thing"}).json()["data"]
    reprs = [row["attributes"]["object_repr"] for row in listed]

    assert marker in reprs
    assert f"{marker}-tenant" not in reprs


# --- The suite-wide check itself ------------------------------------------------------------


def test_coverage_check_flags_a_write_without_an_entry_and_accepts_it_with_one():
    with schema_context("tenant_b"):
        span = Span().start()
        heartbeat = WorkerHeartbeat.objects.create(source="s", schema_name="b", task_id="cov-1")
        unaudited = span.problems()
        audit_created(heartbeat)
        audited = span.problems()

    assert unaudited == ["core_workerheartbeat (in tenant_b)"]
    assert audited == []


def test_coverage_check_accepts_a_child_row_covered_by_its_parents_entry(tenant_a):
    connection.set_schema_to_public()
    span = Span().start()
    from apps.platform.tenants.models import Domain

    domain = Domain.objects.create(domain="audit-alias.localhost", tenant=tenant_a)
    child_alone = span.problems()
    audit_record(action="add_domain", instance=tenant_a, changes={"domains": [None, domain.domain]})

    assert child_alone == ["tenants_domain (in public)"]
    assert span.problems() == []
