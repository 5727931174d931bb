"""`crm.max_users`: users holding a role that opens the CRM, metered and enforced where a role
is granted (LIMIT_EXCEEDED, nothing written)."""

import pytest
from django_tenants.utils import schema_context

from apps.core.exceptions import LimitExceededError
from apps.crm.usage import crm_users_count
from apps.identity import services as identity
from apps.identity.models import Role, RoleAssignment, User
from apps.platform.licensing import services as licensing
from apps.platform.licensing.guards import usage_of
from apps.platform.licensing.models import Subscription

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.urls_tenant")]


@pytest.fixture
def crm_limit_two(tenant_a, django_capture_on_commit_callbacks):
    subscription = Subscription.objects.get(tenant=tenant_a, app__key="crm")
    with django_capture_on_commit_callbacks(execute=True):
        licensing.subscription_set_overrides(
            subscription=subscription, limits={"crm.max_users": 2}, actor="test"
        )


def users(tenant, *names):
    with schema_context(tenant.schema_name):
        return [identity.user_create(username=n, password="seat-password-1") for n in names]


def test_crm_seats_count_active_users_with_a_role_opening_crm(tenant_a):
    rep, manager, tech, gone = users(tenant_a, "rep", "manager", "tech", "gone")
    with schema_context(tenant_a.schema_name):
        roles = {role.name: role for role in Role.objects.all()}
        identity.role_grant(user=rep, role=roles["Sales Rep"])
        identity.role_grant(user=manager, role=roles["IT Manager"])
        identity.role_grant(user=manager, role=roles["CRM Admin"])  # one seat, two roles
        identity.role_grant(user=tech, role=roles["Field Tech"])
        identity.role_grant(user=gone, role=roles["Sales Rep"])
        identity.user_set_active(user=gone, active=False)

        assert crm_users_count() == 2
        assert usage_of("crm.max_users") == 2


def test_granting_a_crm_role_past_the_limit_is_refused_and_writes_nothing(
    tenant_a, crm_limit_two, api_a
):
    first, second, third = users(tenant_a, "first", "second", "third")
    with schema_context(tenant_a.schema_name):
        identity.role_grant(user=first, role=Role.objects.get(name="Sales Rep"))
        identity.role_grant(user=second, role=Role.objects.get(name="CRM Admin"))
        before = RoleAssignment.objects.count()

    refused = api_a.put(
        f"/api/v1/users/{third.pk}/roles/",
        {"roles": ["IT Manager"]},
        content_type="application/json",
    )

    assert refused.status_code == 403
    error = refused.json()["error"]
    assert error["code"] == "LIMIT_EXCEEDED"
    assert error["details"] == [{"field": "crm.max_users", "message": "limit 2, in use 2"}]
    with schema_context(tenant_a.schema_name):
        assert RoleAssignment.objects.count() == before
        assert not User.objects.get(pk=third.pk).roles.exists()


def test_roles_that_take_no_crm_seat_are_granted_at_the_limit(tenant_a, crm_limit_two):
    first, second, tech = users(tenant_a, "first", "second", "tech")
    with schema_context(tenant_a.schema_name):
        roles = {role.name: role for role in Role.objects.all()}
        identity.role_grant(user=first, role=roles["Sales Rep"])
        identity.role_grant(user=second, role=roles["Sales Rep"])

        identity.role_grant(user=tech, role=roles["Field Tech"])  # no CRM
        identity.role_grant(user=first, role=roles["CRM Admin"])  # already holds a seat

        assert crm_users_count() == 2
        with pytest.raises(LimitExceededError):
            identity.role_grant(user=tech, role=roles["IT Manager"])


def test_a_tenant_without_crm_grants_crm_roles_freely(tenant_b):
    (user,) = users(tenant_b, "someone")
    with schema_context(tenant_b.schema_name):
        identity.role_grant(user=user, role=Role.objects.get(name="Sales Rep"))

        assert user.roles.filter(name="Sales Rep").exists()


def test_the_licence_api_reports_crm_seats_in_use(tenant_a, api_a):
    (rep,) = users(tenant_a, "rep")
    with schema_context(tenant_a.schema_name):
        identity.role_grant(user=rep, role=Role.objects.get(name="Sales Rep"))

    rows = {
        row["attributes"]["app"]: row["attributes"]
        for row in api_a.get("/api/v1/licence/").json()["data"]
    }

    assert rows["crm"]["usage"] == [{"limit": "crm.max_users", "used": 1, "max": 5}]
