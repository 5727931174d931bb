from django.apps import AppConfig


class LicensingConfig(AppConfig):
    name = "apps.platform.licensing"
    label = "licensing"
    verbose_name = "Licensing"

    def ready(self):
        from apps.core.registry import registry
        from apps.platform.licensing import signals  # noqa: F401  (connect receivers)
        from apps.platform.licensing.entitlements import platform_limit
        from apps.platform.licensing.guards import admin_app_visible

        if admin_app_visible not in registry.admin_app_filters:
            registry.admin_app_filters.append(admin_app_visible)
        registry.rate_overrides = platform_limit
