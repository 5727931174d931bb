from django.contrib import admin
from django.db import connection

from apps.platform.tenants.models import Domain, Tenant


class PublicSchemaOnlyAdmin(admin.ModelAdmin):
    """Platform models: visible in the platform console only, never in a tenant's admin.

    The tenant schemas' search_path includes public, so without this a tenant's super admin
    would list every tenant of the installation.
    """

    def _on_public_schema(self) -> bool:
        return connection.schema_name == "public"

    def has_module_permission(self, request):
        return self._on_public_schema() and super().has_module_permission(request)

    def has_view_permission(self, request, obj=None):
        return self._on_public_schema() and super().has_view_permission(request, obj)

    def has_add_permission(self, request):
        return self._on_public_schema() and super().has_add_permission(request)

    def has_change_permission(self, request, obj=None):
        return self._on_public_schema() and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._on_public_schema() and super().has_delete_permission(request, obj)


class DomainInline(admin.TabularInline):
    model = Domain
    extra = 0


@admin.register(Tenant)
class TenantAdmin(PublicSchemaOnlyAdmin):
    list_display = ["name", "slug", "schema_name", "status", "created_at"]
    list_filter = ["status"]
    search_fields = ["name", "slug", "schema_name", "domains__domain"]
    readonly_fields = ["schema_name", "created_at", "updated_at"]
    inlines = [DomainInline]

    def has_add_permission(self, request):
        # A tenant is provisioned (schema, host, super admin) by the provisioning service,
        # never by saving a bare row.
        return False

    def has_delete_permission(self, request, obj=None):
        # Dropping a schema is offboarding, a deliberate workflow, not a delete button.
        return False


@admin.register(Domain)
class DomainAdmin(PublicSchemaOnlyAdmin):
    list_display = ["domain", "tenant", "is_primary"]
    search_fields = ["domain", "tenant__name"]
    list_select_related = ["tenant"]
