"""The E-commerce suite's tenants: tenant A (the session's, with E-commerce) and a second tenant
with E-commerce of this suite's own (`tenant-shop`), for the cross-tenant checks: none of the
session's other tenants subscribes to it."""

import pytest
from django.db import connection

from apps.platform.tenants.models import Tenant
from tests.conftest import PASSWORD

SHOP_TENANT = "tenant-shop"


@pytest.fixture(scope="session")
def shop_tenant_slug(django_db_setup, django_db_blocker) -> str:
    from apps.platform.tenants import services

    with django_db_blocker.unblock():
        if not Tenant.objects.filter(slug=SHOP_TENANT).exists():
            services.tenant_create_now(
                name="Tenant Shop", slug=SHOP_TENANT, admin_username="owner",
                admin_email=f"owner@{SHOP_TENANT}.example.com", admin_password=PASSWORD,
                apps=("commerce",),
            )  # fmt: skip
        connection.set_schema_to_public()
    return SHOP_TENANT
