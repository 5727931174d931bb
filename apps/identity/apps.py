from django.apps import AppConfig


class IdentityConfig(AppConfig):
    name = "apps.identity"
    label = "identity"
    verbose_name = "Identity"

    def ready(self):
        # Imported here: services and signals use the models, which are loaded only now.
        from apps.core.registry import registry
        from apps.identity import (  # noqa: F401  (schema registers itself)
            schema,
            services,
            signals,  # noqa: F401  (connect receivers)
        )

        registry.register_tenant_initialiser(
            "identity.default_roles", services.roles_ensure_defaults, order=5
        )
        registry.register_tenant_initialiser(
            "identity.super_admin", services.tenant_super_admin_ensure, order=10
        )
        registry.register_demo_seeder("identity.demo_users", services.demo_users_ensure, order=10)
