from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "apps.core"
    label = "core"
    verbose_name = "Core"

    def ready(self):
        # Imported here: they use the models, which are loaded only now.
        from apps.core import health, signals, taskwatch  # noqa: F401  (connect receivers)
        from apps.core.api import strict
        from apps.core.db import replica  # noqa: F401  (its Celery receivers)
        from apps.core.kit.organisation import organisation_ensure
        from apps.core.registry import registry

        registry.register_tenant_initialiser("core.organisation", organisation_ensure, order=1)
        strict.install()
        health.mark_initialised()
