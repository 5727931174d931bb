from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "apps.core"
    label = "core"
    verbose_name = "Core"

    def ready(self):
        from apps.core import health, signals  # noqa: F401  (connect receivers)

        health.mark_initialised()
