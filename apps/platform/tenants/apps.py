from django.apps import AppConfig


class TenantsConfig(AppConfig):
    name = "apps.platform.tenants"
    label = "tenants"
    verbose_name = "Tenants"

    def ready(self):
        from apps.platform.tenants import signals  # noqa: F401
