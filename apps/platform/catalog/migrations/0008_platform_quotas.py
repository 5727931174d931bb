"""Every plan carries the quotas of file storage and database size (platform.max_storage_mb,
platform.max_db_mb, see seed.QUOTAS): Basic 1 GB each, Pro 10 GB, Enterprise 100 GB. New
installations get them from the seed; this gives them to existing plans. A plan an operator
already gave a value keeps it."""

from django.db import migrations

KEYS = ("platform.max_storage_mb", "platform.max_db_mb")


def _entitlements_changed():
    # Entitlements are cached (in Redis too); model signals do not fire in migrations.
    from apps.core.localcache import tenancy_cache

    tenancy_cache.invalidate()


def add_quotas(apps, schema_editor):
    from apps.platform.catalog.seed import QUOTAS

    for plan in apps.get_model("catalog", "Plan").objects.filter(key__in=QUOTAS):
        missing = {k: v for k, v in QUOTAS[plan.key].items() if k not in plan.limits}
        if missing:
            plan.limits = {**plan.limits, **missing}
            plan.save(update_fields=["limits"])
    _entitlements_changed()


def remove_quotas(apps, schema_editor):
    for plan in apps.get_model("catalog", "Plan").objects.all():
        if set(KEYS) & set(plan.limits):
            plan.limits = {k: v for k, v in plan.limits.items() if k not in KEYS}
            plan.save(update_fields=["limits"])
    _entitlements_changed()


class Migration(migrations.Migration):
    dependencies = [("catalog", "0007_commerce_vendor_portal")]

    operations = [migrations.RunPython(add_quotas, remove_quotas)]
