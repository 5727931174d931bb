"""The tenant-aware Celery app: a task runs in the schema it was sent from (DESIGN.md §6, §9)."""

import os

from celery.schedules import crontab
from tenant_schemas_celery.app import CeleryApp

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dotmac.settings")

app = CeleryApp("dotmac")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Periodic work is declared here, in code (STYLE.md §19). A task that concerns every tenant
# runs in the public schema and fans out one task per tenant.
app.conf.beat_schedule = {
    "replenish-spare-schemas": {
        "task": "tenants.replenish_spares",
        "schedule": 60.0,
    },
    "heartbeat-every-tenant": {
        "task": "core.fan_out_heartbeats",
        "schedule": crontab(minute="*/5"),
    },
    # The platform's bill: trials, the period's invoices, payments due, dunning (public schema).
    "platform-billing-day": {
        "task": "billing.day",
        "schedule": crontab(hour=1, minute=0),
    },
    # Soft unsubscribe: cancelled apps past their retention, exported and emptied.
    "platform-billing-retention": {
        "task": "billing.retention_sweep",
        "schedule": crontab(hour=1, minute=30),
    },
    # ISP: recurring invoicing, then dunning, once a day in every tenant licensed for them.
    "isp-billing-runs": {
        "task": "isp.billing_runs_fan_out",
        "schedule": crontab(hour=2, minute=0),
    },
    "isp-dunning": {
        "task": "isp.dunning_fan_out",
        "schedule": crontab(hour=3, minute=0),
    },
    # ISP RADIUS: sessions without an accounting update for the tenant's stale period closed.
    "isp-radius-stale-sessions": {
        "task": "isp.radius_fan_out",
        "schedule": crontab(minute="*/5"),
    },
    # ISP RADIUS: changes of authorization whose task was lost are sent again.
    "isp-radius-changes-sweep": {
        "task": "isp.radius_changes_fan_out",
        "schedule": 60.0,
    },
    # ISP monitoring: a probe round every minute, the history past its retention once a day.
    "isp-monitoring-rounds": {
        "task": "isp.monitoring_fan_out",
        "schedule": 60.0,
    },
    "isp-monitoring-retention": {
        "task": "isp.monitoring_retention_fan_out",
        "schedule": crontab(hour=4, minute=30),
    },
    # E-commerce: expired cart reservations deleted (they hold nothing already) every minute.
    "commerce-reservations-sweep": {
        "task": "commerce.reservations_sweep_fan_out",
        "schedule": 60.0,
    },
    # Project Management: "due soon" notices (once per task and due date), every morning.
    "projects-due-soon": {
        "task": "projects.due_soon_fan_out",
        "schedule": crontab(hour=6, minute=0),
    },
    # ISP support: SLA warnings, breaches and escalations, every minute in tenants with isp.sla.
    "isp-sla-sweep": {
        "task": "isp.sla_fan_out",
        "schedule": 60.0,
    },
    # Each tenant's resource use (schema and file sizes, requests, task time, active users):
    # today's row every hour, yesterday's closed just after midnight (apps.platform.metering).
    "metering-hourly": {
        "task": "metering.measure_all",
        "schedule": crontab(minute=5),
    },
    "metering-close-day": {
        "task": "metering.measure_all",
        "schedule": crontab(hour=0, minute=2),
        "kwargs": {"days_ago": 1},
    },
}
