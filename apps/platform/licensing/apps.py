from django.apps import AppConfig


class LicensingConfig(AppConfig):
    name = "apps.platform.licensing"
    label = "licensing"
    verbose_name = "Licensing"

    def ready(self):
        # Imported here: the guards and signals use the models, which are loaded only now.
        from apps.core.registry import registry
        from apps.platform.licensing import signals  # noqa: F401  (connect receivers)
        from apps.platform.licensing.entitlements import platform_limit, tenant_has_app
        from apps.platform.licensing.guards import (
            admin_app_visible,
            admin_model_visible,
            ensure_feature,
        )

        if admin_app_visible not in registry.admin_app_filters:
            registry.admin_app_filters.append(admin_app_visible)
        if admin_model_visible not in registry.admin_model_filters:
            registry.admin_model_filters.append(admin_model_visible)
        registry.rate_overrides = platform_limit
        registry.feature_guard = ensure_feature
        registry.app_check = tenant_has_app
