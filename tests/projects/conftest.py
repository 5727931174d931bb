"""Project Management fixtures. The session's projects tenant is tenant B (ISP and Projects,
like xyz-isp in the demo); tenant C also has Projects (cross-tenant ids); tenant A has not
(APP_NOT_SUBSCRIBED, like abc-corp).

`crew`: tenant B's people: pm and dev (the "Project Team" role, which opens Projects and grants
no model permission: they see only the projects they are members of), stranger (the same role,
on no project), padmin (Projects Admin: every project), tech (Field Tech: no Projects)."""

import pytest
from django.db import connection
from django_tenants.utils import schema_context

from apps.identity import services as identity
from apps.identity.models import Role, User
from apps.platform.licensing import services as licensing
from apps.platform.licensing.models import Subscription
from apps.projects.services import projects as project_services
from tests.conftest import TENANTS, HostClient, host_of, obtain_tokens

PASSWORD = "projects-member-password-1"
TEAM_ROLE = "Project Team"
HOME = TENANTS["b"]


class Crew:
    def __init__(self, tenant):
        self.tenant = tenant
        self.host = host_of(tenant.slug)
        self.users: dict[str, User] = {}
        self._clients: dict[str, HostClient] = {}

    def add(self, username: str, *roles: str) -> User:
        with schema_context(self.tenant.schema_name):
            user = identity.user_create(username=username, password=PASSWORD,
                                        first_name=username.title())  # fmt: skip
            for name in roles:
                identity.role_grant(user=user, role=Role.objects.get(name=name), granted_by="test")
        self.users[username] = user
        return user

    def __getitem__(self, username: str) -> User:
        return self.users[username]

    def api(self, username: str) -> HostClient:
        if username not in self._clients:
            client = HostClient(self.host)
            password = PASSWORD if username != "owner" else "correct-horse-battery"
            self._clients[username] = client.authenticate(
                obtain_tokens(client, username, password)["access"])  # fmt: skip
        return self._clients[username]

    def browser(self, username: str) -> HostClient:
        client = HostClient(self.host)
        password = PASSWORD if username != "owner" else "correct-horse-battery"
        response = client.post("/login/", {"username": username, "password": password})
        assert response.status_code == 302, f"{username} could not sign in"
        return client

    def member(self, project, username: str, role: str = "member"):
        """Put the user on the project through the service (object permissions and all)."""
        with schema_context(self.tenant.schema_name):
            return project_services.member_add(project=project, user=self[username], role=role)


@pytest.fixture
def crew(tenant_b):
    with schema_context(tenant_b.schema_name):
        Role.objects.get_or_create(name=TEAM_ROLE, defaults={"areas": ["projects"]})
    people = Crew(tenant_b)
    people.add("pm", TEAM_ROLE)
    people.add("dev", TEAM_ROLE)
    people.add("stranger", TEAM_ROLE)
    people.add("padmin", "Projects Admin")
    people.add("tech", "Field Tech")
    with schema_context(tenant_b.schema_name):
        people.users["owner"] = User.objects.get(username="owner")
    return people


@pytest.fixture
def in_b(tenant_b):
    with schema_context(tenant_b.schema_name):
        yield tenant_b


def plan_overrides(slug: str, *, features=None, limits=None, capture=None) -> None:
    """Give a session tenant's Projects subscription features or limits (undone with the
    test's transaction; the entitlement caches are invalidated on commit, run at once)."""
    subscription = Subscription.objects.get(tenant__slug=slug, app__key="projects")
    with capture(execute=True):
        licensing.subscription_set_overrides(subscription=subscription, actor="test",
                                             features=features, limits=limits)  # fmt: skip
    connection.set_schema_to_public()


@pytest.fixture
def time_tracking(django_capture_on_commit_callbacks, db):
    """Tenants B and C with the time tracking feature (Enterprise) for the test."""
    for slug in (TENANTS["b"], TENANTS["c"]):
        plan_overrides(slug, features={"projects.time_tracking": True, "projects.timeline": True},
                       capture=django_capture_on_commit_callbacks)  # fmt: skip


__all__ = ["HOME", "PASSWORD", "TEAM_ROLE", "Crew", "plan_overrides"]


@pytest.fixture
def api_b(client_b):
    """Tenant B's super admin, with a bearer token."""
    return HostClient(client_b.host).authenticate(obtain_tokens(client_b)["access"])
