"""Thin Celery wrappers around the tenant lifecycle services (ids in, idempotent)."""

from celery import shared_task

from apps.platform.tenants import offboarding, schemas, services
from apps.platform.tenants.constants import OFFBOARD_TASK, PROVISION_TASK


@shared_task(
    name=PROVISION_TASK,
    autoretry_for=(Exception,),
    retry_backoff=2,
    retry_kwargs={"max_retries": 2},
)
def provision_tenant(tenant_id: int) -> str:
    tenant = services.tenant_provision_run(tenant_id)
    replenish_spares.delay()
    return tenant.status


@shared_task(name=OFFBOARD_TASK)
def offboard_tenant(tenant_id: int) -> str:
    return offboarding.tenant_offboard(tenant_id).status


@shared_task(name="tenants.replenish_spares")
def replenish_spares() -> dict:
    return schemas.spares_replenish()
