"""Core's admin, in every console: the audit trail (read-only) and the organisation's settings
(its currency). Each host's admin sees the rows of its own schema only: the tenant super admin
the tenant's, platform staff in the console the platform's (apps.core lives in both schemas)."""

from django.contrib import admin
from django.db import connection

from apps.core.admin_audit import AuditedAdmin
from apps.core.kit.admin import ReadOnlyAdmin
from apps.core.kit.organisation import organisation_update
from apps.core.models import AuditEntry, OrganisationSettings

__all__ = ["AuditEntryAdmin", "OrganisationSettingsAdmin"]


@admin.register(OrganisationSettings)
class OrganisationSettingsAdmin(AuditedAdmin):
    list_display = ["__str__", "currency"]

    def has_add_permission(self, request):
        return False  # the one row is created with the schema

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        fields = {name: form.cleaned_data[name] for name in form.changed_data}
        organisation_update(actor=request.user, **fields)


def _may_read_audit(request) -> bool:
    """The tenant's super admin on a tenant host; platform staff on the public host."""
    user = request.user
    if not (user.is_active and user.is_authenticated):
        return False
    if connection.schema_name == "public":
        return user.is_staff
    return user.is_superuser


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    """The audit trail, read-only: filterable, searchable, never editable."""

    list_display = [
        "created_at",
        "actor",
        "action",
        "object_type",
        "object_repr",
        "source",
        "ip",
        "request_id",
    ]
    list_filter = ["action", "object_type", "source", "actor_type", "actor"]
    search_fields = ["object_repr", "actor", "request_id", "object_id"]
    date_hierarchy = "created_at"
    list_per_page = 50
    readonly_fields = [
        "created_at",
        "actor",
        "actor_id",
        "actor_type",
        "tenant",
        "action",
        "object_type",
        "object_id",
        "object_repr",
        "changes",
        "request_id",
        "ip",
        "source",
    ]
    fields = readonly_fields

    def has_module_permission(self, request):
        return _may_read_audit(request)

    def has_view_permission(self, request, obj=None):
        return _may_read_audit(request)
