"""Object-level permissions: a user sees the records granted to them; a holder of the
model-wide permission (a manager) sees all; grants never cross tenants."""

import pytest
from django.contrib.auth.models import Permission
from django_tenants.utils import schema_context

from apps.core.models import WorkerHeartbeat
from apps.identity import objects, services
from apps.identity.models import Role

pytestmark = pytest.mark.django_db


def rows(n):
    return [
        WorkerHeartbeat.objects.create(source=f"r{i}", schema_name="-", task_id=f"obj-{i}")
        for i in range(n)
    ]


def test_records_granted_to_me_and_all_for_a_manager(tenant_a):
    with schema_context(tenant_a.schema_name):
        mine, shared, other = rows(3)
        rep = services.user_create(username="rep", password="rep-password-1")
        manager = services.user_create(username="boss", password="boss-password-1")
        lead_role = Role.objects.create(name="Heartbeat managers", areas=[])
        lead_role.permissions.add(Permission.objects.get(codename="view_workerheartbeat"))
        services.role_grant(user=manager, role=lead_role)
        objects.object_grant(user=rep, obj=mine, actions=("view", "change", "delete"))
        objects.object_grant(user=rep, obj=shared, actions=("view",))
        everything = WorkerHeartbeat.objects.all()

        visible = set(objects.objects_visible_to(rep, everything))
        editable = set(objects.objects_visible_to(rep, everything, "change"))
        managed = set(objects.objects_visible_to(manager, everything))
        holders = set(objects.users_with_access(mine))

    assert visible == {mine, shared}
    assert editable == {mine}
    assert managed == {mine, shared, other}
    assert holders == {rep}


def test_revoking_takes_the_record_away(tenant_a):
    with schema_context(tenant_a.schema_name):
        (row,) = rows(1)
        rep = services.user_create(username="rep", password="rep-password-1")
        objects.object_grant(user=rep, obj=row)
        objects.object_revoke(user=rep, obj=row)

        assert not objects.objects_visible_to(rep, WorkerHeartbeat.objects.all()).exists()


def test_grants_stay_in_their_tenant(tenant_a, tenant_b):
    with schema_context(tenant_a.schema_name):
        (row,) = rows(1)
        rep = services.user_create(username="rep", password="rep-password-1")
        objects.object_grant(user=rep, obj=row)
    with schema_context(tenant_b.schema_name):
        (row_b,) = rows(1)
        rep_b = services.user_create(username="rep", password="rep-password-1")

        assert not objects.objects_visible_to(rep_b, WorkerHeartbeat.objects.all()).exists()
