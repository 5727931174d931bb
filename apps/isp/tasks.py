"""Thin Celery wrappers around the billing services (ids in, idempotent; DESIGN.md §6).

Sent through the tenant-aware app, a task runs in the schema it was sent from. The fan-outs run
in the public schema (celery beat, dotmac/celery.py) and send one task per tenant whose ISP
licence allows it, each from (and so into) that tenant's schema.
"""

from celery import shared_task
from django_tenants.utils import get_tenant_model, schema_context

from apps.isp.constants import DUNNING, MONITORING, RADIUS, SLA
from apps.isp.models import BillingRun
from apps.isp.services import coa, dunning, monitoring, sla
from apps.isp.services.radius import sessions_close_stale
from apps.isp.services.runs import BILLING_RUN_TASK, billing_run_execute, billing_run_request
from apps.platform.licensing.entitlements import entitlements_for


@shared_task(name=BILLING_RUN_TASK, acks_late=True)
def billing_run(run_id: int) -> dict:
    """Execute a recorded billing run (in the tenant's schema)."""
    run = billing_run_execute(run=BillingRun.objects.get(pk=run_id))
    return {"run": run.pk, "status": run.status, "invoices": run.invoices_created}


def _tenants_with(check) -> list[str]:
    tenants = get_tenant_model().objects.exclude(schema_name="public").filter(status="active")
    return [
        schema
        for schema in tenants.order_by("pk").values_list("schema_name", flat=True)
        if check(entitlements_for(schema))
    ]


def _in_each_tenant_with(check, run) -> int:
    """run() in the schema of every active tenant whose entitlements pass `check` (a task's
    `delay` sends the task from, and so into, that schema); returns how many."""
    schemas = _tenants_with(check)
    for schema in schemas:
        with schema_context(schema):
            run()
    return len(schemas)


@shared_task(name="isp.billing_runs_fan_out")
def billing_runs_fan_out() -> int:
    """One billing run up to today for every tenant whose ISP subscription is usable."""
    return _in_each_tenant_with(
        lambda entitlements: entitlements.has_app("isp"),
        lambda: billing_run_request(actor="schedule"),
    )


@shared_task(name="isp.dunning_run", acks_late=True)
def dunning_run() -> dict:
    """Take the dunning steps due today (in the tenant's schema)."""
    return dunning.dunning_run()


@shared_task(name="isp.dunning_fan_out")
def dunning_fan_out() -> int:
    """One dunning run for every tenant whose ISP plan has the `isp.dunning` feature."""
    return _in_each_tenant_with(
        lambda entitlements: entitlements.has_feature(DUNNING), dunning_run.delay
    )


@shared_task(name="isp.radius_sessions_close_stale")
def radius_sessions_close_stale() -> int:
    """Close the sessions the NAS stopped reporting (in the tenant's schema)."""
    return sessions_close_stale()


@shared_task(name="isp.radius_fan_out")
def radius_fan_out() -> int:
    """The stale-session sweep in every tenant whose ISP plan has `isp.radius`."""
    return _in_each_tenant_with(
        lambda entitlements: entitlements.has_feature(RADIUS), radius_sessions_close_stale.delay
    )


@shared_task(name=coa.SEND_TASK, acks_late=True)
def radius_change_send(change_id: int, attempt: int) -> dict | None:
    """One attempt of a change of authorization (CoA / Disconnect), in the tenant's schema; a
    no-op unless the change is still pending at that attempt."""
    change = coa.change_attempt(change_id=change_id, attempt=attempt)
    if change is None:
        return None
    return {"change": change.pk, "status": change.status, "attempts": change.attempts}


@shared_task(name="isp.radius_changes_sweep", acks_late=True)
def radius_changes_sweep() -> int:
    """Send again the tenant's pending changes whose task was lost."""
    return coa.changes_resend_due()


@shared_task(name="isp.radius_changes_fan_out")
def radius_changes_fan_out() -> int:
    """One sweep of lost changes of authorization for every tenant with `isp.radius`."""
    return _in_each_tenant_with(
        lambda entitlements: entitlements.has_feature(RADIUS), radius_changes_sweep.delay
    )


@shared_task(name="isp.monitoring_round")
def monitoring_round() -> dict | None:
    """Start a probe round over the tenant's monitored devices (in the tenant's schema)."""
    probe_round = monitoring.round_start()
    if probe_round is None:
        return None
    return {"round": probe_round.pk, "targets": probe_round.targets, "batches": probe_round.batches}


@shared_task(name=monitoring.BATCH_TASK, acks_late=True)
def monitoring_probe_batch(round_id: int | None, first_pk: int, last_pk: int) -> int:
    """Probe one batch of a round (devices first_pk..last_pk); the last batch decides alerts."""
    return monitoring.batch_probe(round_id=round_id, first_pk=first_pk, last_pk=last_pk)


@shared_task(name="isp.monitoring_fan_out")
def monitoring_fan_out() -> int:
    """A probe round in every tenant whose ISP plan has `isp.monitoring`."""
    return _in_each_tenant_with(
        lambda entitlements: entitlements.has_feature(MONITORING), monitoring_round.delay
    )


@shared_task(name="isp.monitoring_history_prune")
def monitoring_history_prune() -> int:
    """Delete the probe history older than the tenant's retention period."""
    return monitoring.history_prune()


@shared_task(name="isp.monitoring_retention_fan_out")
def monitoring_retention_fan_out() -> int:
    """The retention sweep in every tenant with `isp.monitoring`."""
    return _in_each_tenant_with(
        lambda entitlements: entitlements.has_feature(MONITORING), monitoring_history_prune.delay
    )


@shared_task(name="isp.sla_sweep", acks_late=True)
def sla_sweep() -> dict:
    """SLA warnings, breaches and escalations due now (in the tenant's schema), each once."""
    return sla.sla_sweep()


@shared_task(name="isp.sla_fan_out")
def sla_fan_out() -> int:
    """One SLA sweep for every tenant whose ISP plan has `isp.sla`."""
    return _in_each_tenant_with(lambda entitlements: entitlements.has_feature(SLA), sla_sweep.delay)
