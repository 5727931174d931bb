from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "apps.platform.catalog"
    label = "catalog"
    verbose_name = "App catalog"
