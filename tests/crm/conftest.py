"""CRM fixtures: tenant A's people by role, API clients per person, records owned by them.

Records are made with the factories (fast, no audit rows: fixture data, not product writes)
or with the services when a test is about what the services do.
"""

import pytest
from django_tenants.utils import schema_context

from apps.identity import services as identity
from apps.identity.models import Role, User
from tests.conftest import TENANTS, HostClient, host_of, obtain_tokens

PASSWORD = "crm-member-password-1"


class People:
    """Users of one tenant, each with roles, and an API client per user on demand."""

    def __init__(self, tenant):
        self.tenant = tenant
        self.host = host_of(tenant.slug)
        self.users: dict[str, User] = {}

    def add(self, username: str, *roles: str, first_name: str = "") -> User:
        with schema_context(self.tenant.schema_name):
            user = identity.user_create(
                username=username, password=PASSWORD, first_name=first_name or username.title()
            )
            for name in roles:
                identity.role_grant(user=user, role=Role.objects.get(name=name), granted_by="test")
        self.users[username] = user
        return user

    def __getitem__(self, username: str) -> User:
        return self.users[username]

    def api(self, username: str) -> HostClient:
        client = HostClient(self.host)
        return client.authenticate(obtain_tokens(client, username, PASSWORD)["access"])

    def browser_client(self, username: str) -> HostClient:
        """A browser-like client signed in through the tenant's sign-in page (session)."""
        client = HostClient(self.host)
        response = client.post("/login/", {"username": username, "password": PASSWORD})
        assert response.status_code == 302, f"{username} could not sign in"
        return client


@pytest.fixture
def people(tenant_a):
    """Tenant A: mike (Sales Rep), sarah (IT Manager), boss (CRM Admin), tom (Field Tech);
    `owner` is the tenant's super admin (from the session fixture)."""
    crew = People(tenant_a)
    crew.add("mike", "Sales Rep", first_name="Mike")
    crew.add("sarah", "IT Manager", first_name="Sarah")
    crew.add("boss", "CRM Admin", first_name="Bea")
    crew.add("tom", "Field Tech", first_name="Tom")
    with schema_context(tenant_a.schema_name):
        crew.users["owner"] = User.objects.get(username="owner")
    return crew


@pytest.fixture
def api_b_owner(client_b):
    return HostClient(client_b.host).authenticate(obtain_tokens(client_b)["access"])


__all__ = ["PASSWORD", "TENANTS", "People"]
