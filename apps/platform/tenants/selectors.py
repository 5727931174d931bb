"""Reads of the tenant registry used by the platform console (list, monitoring)."""

from dataclasses import dataclass

from django.db.models import Count, QuerySet

from apps.core.tenancy import organisations
from apps.platform.tenants.models import SpareSchema, Tenant

Status = Tenant.Status


def tenant_list_organisations() -> QuerySet[Tenant]:
    """Every tenant but the row standing for the public schema (the platform itself)."""
    return organisations()


@dataclass(frozen=True)
class TenantStatusCounts:
    active: int = 0
    suspended: int = 0
    in_progress: int = 0  # pending or provisioning
    failed: int = 0
    offboarded: int = 0

    @property
    def total(self) -> int:
        return self.active + self.suspended + self.in_progress + self.failed + self.offboarded


def tenant_status_counts() -> TenantStatusCounts:
    """How many organisations are in each lifecycle state (one query)."""
    rows = tenant_list_organisations().order_by().values("status").annotate(n=Count("id"))
    counts = {row["status"]: row["n"] for row in rows}
    return TenantStatusCounts(
        active=counts.get(Status.ACTIVE, 0),
        suspended=counts.get(Status.SUSPENDED, 0),
        in_progress=counts.get(Status.PENDING, 0) + counts.get(Status.PROVISIONING, 0),
        failed=counts.get(Status.FAILED, 0),
        offboarded=counts.get(Status.OFFBOARDED, 0),
    )


def tenant_list_active() -> QuerySet[Tenant]:
    return tenant_list_organisations().filter(status=Status.ACTIVE).order_by("name")


def tenant_list_provisioning_failures() -> QuerySet[Tenant]:
    """Failed provisionings, most recent first, with the reason the task recorded."""
    return tenant_list_organisations().filter(status=Status.FAILED).order_by("-updated_at")


def tenant_list_provisioning_in_progress() -> QuerySet[Tenant]:
    return (
        tenant_list_organisations()
        .filter(status__in=(Status.PENDING, Status.PROVISIONING))
        .order_by("created_at")
    )


def spare_schema_count() -> int:
    """Schemas cloned ahead of time, ready to be handed to the next signup."""
    return SpareSchema.objects.count()
