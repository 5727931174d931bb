"""The AppConfig every catalog app extends: it hands the app's declaration to the platform.

The declaration is registered when Django creates the app's config (before any model is
imported), so that URL prefixes and areas are known to everything that loads after; its
functions and classes are imported and plugged into the registry when the app is ready.
"""

from django.apps import AppConfig
from django.utils.module_loading import import_string

from apps.core.kit.declaration import AppDeclaration, declare
from apps.core.registry import registry


class CatalogAppConfig(AppConfig):
    """Extend it as `appconfig.CatalogAppConfig` (module attribute): Django takes an apps.py's
    config class only when it is the module's one AppConfig subclass."""

    declaration: AppDeclaration

    def __init__(self, app_name, app_module):
        super().__init__(app_name, app_module)
        declare(self.declaration)

    def ready(self):
        app = self.declaration
        if app.initialiser:
            registry.register_tenant_initialiser(
                f"{app.key}.defaults", import_string(app.initialiser), order=app.order
            )
        if app.demo_seeder:
            registry.register_demo_seeder(
                f"{app.key}.demo", import_string(app.demo_seeder), order=app.order
            )
        for limit_key, counter in app.usage_counters.items():
            registry.register_usage_counter(limit_key, import_string(counter))
        if app.party_directory:
            registry.party_directories[app.key] = import_string(app.party_directory)()
        for verb, run in app.operations.items():
            registry.register_operation(f"{app.key}.{verb}", import_string(run))
