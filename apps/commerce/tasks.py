"""Thin Celery wrappers around the shop's services (DESIGN.md §6): the sweep of expired
reservations and stale visitors' carts, fanned out from the public schema (celery beat,
dotmac/celery.py) to one task per tenant licensed for E-commerce, each run in its schema; and
the customers' order emails, sent off the request once the order is committed."""

from celery import shared_task
from django_tenants.utils import get_tenant_model, schema_context

from apps.commerce.constants import APP_KEY
from apps.commerce.services import orders
from apps.commerce.services.carts import reservations_sweep as sweep
from apps.platform.licensing.entitlements import entitlements_for


@shared_task(name="commerce.reservations_sweep")
def reservations_sweep() -> int:
    """Delete the expired reservations (and stale visitors' carts) of the tenant's shop.
    Idempotent: an expired reservation holds nothing whether or not it is deleted yet."""
    return sweep()


@shared_task(name="commerce.reservations_sweep_fan_out")
def reservations_sweep_fan_out() -> int:
    """One sweep for every active tenant whose E-commerce subscription is usable."""
    tenants = get_tenant_model().objects.exclude(schema_name="public").filter(status="active")
    sent = 0
    for schema in tenants.order_by("pk").values_list("schema_name", flat=True):
        if entitlements_for(schema).has_app(APP_KEY):
            with schema_context(schema):
                reservations_sweep.delay()
            sent += 1
    return sent


@shared_task(name="commerce.order_mail")
def order_mail(order_id: int, kind: str, tracking: str = "") -> None:
    """The customer's email about their order (confirmation, shipped), off the request: sent
    once, a failure of the mail server logged (the order stands)."""
    orders.order_mail(order_id, kind, tracking)
