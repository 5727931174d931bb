"""The tenant super admin's console for people: users with their roles and signed-in browsers,
and roles (apps/identity/admin_roles.py). Grants go through identity's services; every save is
audited."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from apps.core.admin_audit import AuditedAdmin
from apps.identity import admin_roles
from apps.identity.models import User


@admin.register(User)
class UserAdmin(AuditedAdmin, DjangoUserAdmin):
    list_display = [
        "username", "email", "first_name", "last_name", "role_names", "is_active", "is_superuser",
    ]  # fmt: skip
    list_filter = ["is_active", "is_superuser", "roles"]
    inlines = [admin_roles.RoleAssignmentInline, admin_roles.UserSessionInline]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("roles")

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else []

    @admin.display(description="roles")
    def role_names(self, user):
        return ", ".join(role.name for role in user.roles.all()) or "—"

    def save_formset(self, request, form, formset, change):
        if formset.model is admin_roles.RoleAssignment:
            admin_roles.save_role_grants(request, formset)
        elif formset.model is admin_roles.UserSession:
            admin_roles.end_deleted_sessions(formset)
        else:
            super().save_formset(request, form, formset, change)
