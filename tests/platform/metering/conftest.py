"""Fixtures of the metering tests: a tenant's quotas set, a measured day written."""

import pytest
from django.utils import timezone

from apps.core import usage
from apps.platform.licensing import entitlements
from apps.platform.licensing.models import Subscription
from apps.platform.metering.models import MB, UsageDay


def set_quota(tenant, key: str, mb: int | None) -> None:
    """Every subscription of the tenant gives `key` = mb (the highest over them counts)."""
    for subscription in Subscription.objects.filter(tenant=tenant):
        subscription.limit_overrides = {**(subscription.limit_overrides or {}), key: mb}
        subscription.save(update_fields=["limit_overrides"])
    entitlements.invalidate()  # the signal's on_commit does not fire inside a test


def measured(tenant, *, storage_mb: float = 0, db_mb: float = 0) -> UsageDay:
    """Today's row of the tenant as if measured so (nothing uploaded since)."""
    usage.uploaded_reset(tenant.schema_name)
    row, _ = UsageDay.objects.update_or_create(
        tenant=tenant, day=timezone.localdate(),
        defaults={"storage_bytes": int(storage_mb * MB), "db_bytes": int(db_mb * MB)},
    )  # fmt: skip
    return row


@pytest.fixture
def owner_page_a(client_a):
    return client_a.sign_in()
