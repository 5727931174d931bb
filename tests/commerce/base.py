"""The generic resource test (tests/resource_base.py) for the shop's resources: the other
tenant with E-commerce for the cross-tenant checks is this suite's `tenant-shop`."""

import pytest

from apps.core.kit.declaration import area_for_path
from tests.resource_base import ResourceTests, app_of, tenant_with


class CommerceResourceTests(ResourceTests):
    maker = None  # a function of tests/commerce/factories.py

    def make(self, **fields):
        return type(self).maker(**fields)

    @pytest.fixture(autouse=True)
    def _tenants(self, tenant_a, shop_tenant_slug):
        self.schema_a = tenant_a.schema_name
        self.app = app_of(self.path)
        self.area = area_for_path(self.path)
        self.other_slug = shop_tenant_slug
        self.unsubscribed_slug = tenant_with(self.app, has=False)
