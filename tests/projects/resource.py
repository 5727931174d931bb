"""The generic resource tests (tests/resource_base.py) on the session's projects tenant.

The base runs on tenant A, which (like abc-corp) has no Project Management; here tenant B (like
xyz-isp) takes its place: the checks run on B's host as B's super admin, tenant C (the other
tenant with Projects) supplies the cross-tenant ids, and tenant A is the unsubscribed one."""

import pytest
from django_tenants.utils import schema_context

from apps.core.kit.declaration import area_for_path
from apps.identity import services as identity
from apps.identity.models import Role
from tests.conftest import TENANTS, HostClient, host_of, obtain_tokens
from tests.resource_base import OUTSIDER, ResourceTests, app_of, owner_api

HOME, OTHER, UNSUBSCRIBED = TENANTS["b"], TENANTS["c"], TENANTS["a"]


class ProjectResourceTests(ResourceTests):
    @pytest.fixture
    def tenant_a(self, tenant_b):
        return tenant_b

    @pytest.fixture
    def client_a(self, client_b):
        return client_b

    @pytest.fixture
    def api(self, tenant_b):
        return owner_api(HOME)

    @pytest.fixture(autouse=True)
    def _tenants(self, tenant_b):
        self.schema_a = tenant_b.schema_name
        self.app = app_of(self.path)
        self.area = area_for_path(self.path)
        self.other_slug = OTHER
        self.unsubscribed_slug = UNSUBSCRIBED

    def tenant_api(self, slug: str) -> HostClient:
        # the base names "tenant A's host" for its own: here that is the home tenant's
        return owner_api(HOME if slug == TENANTS["a"] else slug)

    @pytest.fixture
    def outsider_api(self, tenant_b):
        username, password = OUTSIDER
        with schema_context(tenant_b.schema_name):
            user = identity.user_create(username=username, password=password)
            identity.role_grant(user=user, role=Role.objects.get(name=self.outsider_role))
        client = HostClient(host_of(HOME))
        return client.authenticate(obtain_tokens(client, username, password)["access"])
