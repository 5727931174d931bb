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


@pytest.fixture
def discounts_on(tenant_a, shop_tenant_slug, django_capture_on_commit_callbacks):
    """Tenant A and the suite's shop tenant with `commerce.discounts` for the test (undone
    with the test's transaction; the entitlement caches are invalidated on commit, run here)."""
    from apps.platform.licensing import services as licensing
    from apps.platform.licensing.models import Subscription

    for slug in (tenant_a.slug, shop_tenant_slug):
        subscription = Subscription.objects.get(tenant__slug=slug, app__key="commerce")
        with django_capture_on_commit_callbacks(execute=True):
            licensing.subscription_set_overrides(
                subscription=subscription, features={"commerce.discounts": True}, actor="test"
            )
    connection.set_schema_to_public()


@pytest.fixture
def vendor_portal_on(tenant_a, shop_tenant_slug, django_capture_on_commit_callbacks):
    """Tenant A and the suite's shop tenant with `commerce.vendor_portal` for the test (their
    plan is Basic, which has not; undone with the test's transaction)."""
    from apps.platform.licensing import services as licensing
    from apps.platform.licensing.models import Subscription

    for slug in (tenant_a.slug, shop_tenant_slug):
        subscription = Subscription.objects.get(tenant__slug=slug, app__key="commerce")
        with django_capture_on_commit_callbacks(execute=True):
            licensing.subscription_set_overrides(
                subscription=subscription, features={"commerce.vendor_portal": True},
                actor="test",
            )  # fmt: skip
    connection.set_schema_to_public()
