from django.apps import AppConfig


class MeteringConfig(AppConfig):
    name = "apps.platform.metering"
    label = "metering"
    verbose_name = "Resource use"

    def ready(self):
        # Imported here: the quota checks read the models, which are loaded only now.
        from apps.core.registry import registry
        from apps.platform.metering import quotas

        registry.upload_guard = quotas.upload_guard
        registry.quota_notices = quotas.quota_notices
        # The licence pages' usage lines of these limits (MB used, against the plan's).
        registry.register_usage_counter(quotas.STORAGE_LIMIT, quotas.storage_mb_used)
        registry.register_usage_counter(quotas.DB_LIMIT, quotas.db_mb_used)
