"""Service plans: what the ISP sells. A plan with services is retired, never deleted."""

from django.db import transaction

from apps.core.exceptions import ConflictError
from apps.core.kit.writes import record_create, record_update
from apps.isp.models import ServicePlan


@transaction.atomic
def plan_create(*, actor=None, **fields) -> ServicePlan:
    return record_create(ServicePlan(**fields), actor=actor)


@transaction.atomic
def plan_update(*, plan: ServicePlan, actor=None, **fields) -> ServicePlan:
    """Edit a plan. A price change applies from each service's next period (periods already
    invoiced keep their price)."""
    record_update(plan, fields, actor=actor)
    return plan


@transaction.atomic
def plan_retire(*, plan: ServicePlan, actor=None) -> ServicePlan:
    """Stop selling a plan; its services keep running on it."""
    if plan.status == ServicePlan.Status.RETIRED:
        raise ConflictError(f"{plan.name} is already retired.")
    return plan_update(plan=plan, status=ServicePlan.Status.RETIRED, actor=actor)
