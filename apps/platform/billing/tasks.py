"""Thin Celery wrappers around the billing services (public schema)."""

from celery import shared_task

from apps.platform.billing.models import BillingRun
from apps.platform.billing.services import cycle, retention, runs


@shared_task(name="billing.day")
def billing_day() -> dict:
    return cycle.billing_day()


@shared_task(name="billing.run_shard", acks_late=True)
def billing_run_shard(run_id: int, shard: int, shards: int) -> int:
    run = BillingRun.objects.get(pk=run_id)
    return runs.run_execute(run=run, shard=shard, shards=shards).invoices_created


@shared_task(name="billing.retention_sweep")
def billing_retention_sweep() -> int:
    return retention.retention_sweep()
