"""ISP plans limit network inventory (isp.max_devices, see seed.CATALOG): Basic 250 devices,
Pro 5,000, Enterprise unlimited. New installations get it from the seed; this gives it to
existing ones. A plan an operator already gave a value keeps it."""

from django.db import migrations

KEY = "isp.max_devices"
LIMITS = {"basic": 250, "pro": 5000, "enterprise": None}


def _isp_plans(apps):
    return apps.get_model("catalog", "Plan").objects.filter(app__key="isp", key__in=LIMITS)


def _entitlements_changed():
    # Entitlements are cached (in Redis too); model signals do not fire in migrations.
    from apps.core.localcache import tenancy_cache

    tenancy_cache.invalidate()


def add_limit(apps, schema_editor):
    for plan in _isp_plans(apps):
        if KEY not in plan.limits:
            plan.limits = {**plan.limits, KEY: LIMITS[plan.key]}
            plan.save(update_fields=["limits"])
    _entitlements_changed()


def remove_limit(apps, schema_editor):
    for plan in _isp_plans(apps):
        if KEY in plan.limits and plan.limits[KEY] == LIMITS[plan.key]:
            plan.limits = {k: v for k, v in plan.limits.items() if k != KEY}
            plan.save(update_fields=["limits"])
    _entitlements_changed()


class Migration(migrations.Migration):
    dependencies = [("catalog", "0003_enterprise_api_rate")]

    operations = [migrations.RunPython(add_limit, remove_limit)]
