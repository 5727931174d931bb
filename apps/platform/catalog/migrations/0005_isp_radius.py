"""ISP Pro and Enterprise include RADIUS (isp.radius, see seed.CATALOG): FreeRADIUS asks DotMac
about their subscribers, and billing's changes reach live sessions by CoA. New installations get
it from the seed; this gives it to existing ones."""

from django.db import migrations

FEATURE = "isp.radius"
PLANS = ("pro", "enterprise")


def _isp_plans(apps):
    return apps.get_model("catalog", "Plan").objects.filter(app__key="isp", key__in=PLANS)


def _entitlements_changed():
    # Entitlements are cached (in Redis too); model signals do not fire in migrations.
    from apps.core.localcache import tenancy_cache

    tenancy_cache.invalidate()


def add_feature(apps, schema_editor):
    for plan in _isp_plans(apps):
        if FEATURE not in plan.features:
            plan.features = [*plan.features, FEATURE]
            plan.save(update_fields=["features"])
    _entitlements_changed()


def remove_feature(apps, schema_editor):
    for plan in _isp_plans(apps):
        if FEATURE in plan.features:
            plan.features = [f for f in plan.features if f != FEATURE]
            plan.save(update_fields=["features"])
    _entitlements_changed()


class Migration(migrations.Migration):
    dependencies = [("catalog", "0004_isp_max_devices")]

    operations = [migrations.RunPython(add_feature, remove_feature)]
