"""E-commerce Pro includes the vendor portal (commerce.vendor_portal, see seed.CATALOG), as
Enterprise did already. New installations get it from the seed; this gives it to existing ones."""

from django.db import migrations

FEATURES = ("commerce.vendor_portal",)
PLANS = ("pro", "enterprise")


def _commerce_plans(apps):
    return apps.get_model("catalog", "Plan").objects.filter(app__key="commerce", key__in=PLANS)


def _entitlements_changed():
    # Entitlements are cached (in Redis too); model signals do not fire in migrations.
    from apps.core.localcache import tenancy_cache

    tenancy_cache.invalidate()


def add_feature(apps, schema_editor):
    for plan in _commerce_plans(apps):
        missing = [feature for feature in FEATURES if feature not in plan.features]
        if missing:
            plan.features = [*plan.features, *missing]
            plan.save(update_fields=["features"])
    _entitlements_changed()


def remove_feature(apps, schema_editor):
    for plan in _commerce_plans(apps):
        if set(FEATURES) & set(plan.features):
            plan.features = [f for f in plan.features if f not in FEATURES]
            plan.save(update_fields=["features"])
    _entitlements_changed()


class Migration(migrations.Migration):
    dependencies = [("catalog", "0006_isp_monitoring_sla")]

    operations = [migrations.RunPython(add_feature, remove_feature)]
