"""Thin Celery wrappers around Project Management's services (DESIGN.md §6): the daily
"due soon" notices, fanned out from the public schema (celery beat, dotmac/celery.py) to one
task per tenant licensed for Project Management, each run in its schema."""

from celery import shared_task
from django_tenants.utils import get_tenant_model, schema_context

from apps.platform.licensing.entitlements import entitlements_for
from apps.projects.constants import APP_KEY
from apps.projects.services.notifications import due_soon_notify


@shared_task(name="projects.due_soon_notify")
def due_soon() -> int:
    """Notify the assignees of the tenant's tasks due soon. Idempotent: one notice per task,
    person and due date, however often it runs."""
    return due_soon_notify()


@shared_task(name="projects.due_soon_fan_out")
def due_soon_fan_out() -> int:
    """One due-soon run for every active tenant whose Project Management subscription is
    usable."""
    tenants = get_tenant_model().objects.exclude(schema_name="public").filter(status="active")
    sent = 0
    for schema in tenants.order_by("pk").values_list("schema_name", flat=True):
        if entitlements_for(schema).has_app(APP_KEY):
            with schema_context(schema):
                due_soon.delay()
            sent += 1
    return sent
