"""Enterprise plans raise the API rate limit (platform.api_rate_per_minute, see seed.CATALOG).

New installations get it from the seed; this gives it to existing ones. A plan an operator
already gave a value keeps it.
"""

from django.db import migrations

KEY = "platform.api_rate_per_minute"
RATE = 1000


def _enterprise_plans(apps):
    from apps.platform.catalog.seed import CATALOG

    Plan = apps.get_model("catalog", "Plan")
    return Plan.objects.filter(key="enterprise", app__key__in=[entry["key"] for entry in CATALOG])


def _entitlements_changed():
    # Entitlements are cached (in Redis too); model signals do not fire in migrations.
    from apps.core.localcache import tenancy_cache

    tenancy_cache.invalidate()


def add_rate(apps, schema_editor):
    for plan in _enterprise_plans(apps):
        if KEY not in plan.limits:
            plan.limits = {**plan.limits, KEY: RATE}
            plan.save(update_fields=["limits"])
    _entitlements_changed()


def remove_rate(apps, schema_editor):
    for plan in _enterprise_plans(apps):
        if plan.limits.get(KEY) == RATE:
            plan.limits = {k: v for k, v in plan.limits.items() if k != KEY}
            plan.save(update_fields=["limits"])
    _entitlements_changed()


class Migration(migrations.Migration):
    dependencies = [("catalog", "0002_seed_catalog")]

    operations = [migrations.RunPython(add_rate, remove_rate)]
