from django.apps import AppConfig


class LicensingConfig(AppConfig):
    name = "apps.platform.licensing"
    label = "licensing"
    verbose_name = "Licensing"
