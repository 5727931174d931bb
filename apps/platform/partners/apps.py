from django.apps import AppConfig


class PartnersConfig(AppConfig):
    name = "apps.platform.partners"
    label = "partners"
    verbose_name = "Partners"

    def ready(self):
        # Imported here: the receivers use the models, which are loaded only now.
        from apps.platform.partners import receivers  # noqa: F401  (connect receivers)
