"""Core's admin: the read-only audit trail (apps.core.admin_audit) and the organisation's
settings (its currency), in every console."""

from django.contrib import admin

from apps.core.admin_audit import AuditedAdmin, AuditEntryAdmin
from apps.core.kit.organisation import organisation_update
from apps.core.models import OrganisationSettings

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
