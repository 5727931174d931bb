"""The tenant super admin's console for people: users with their roles and signed-in browsers,
and roles (apps/identity/admin_roles.py). Grants go through identity's services; every save is
audited."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from guardian.models import UserObjectPermission

from apps.core.admin_audit import AuditedAdmin
from apps.core.kit.admin import ServiceAdmin
from apps.core.kit.refusals import REFUSALS, admin_refusal
from apps.identity import admin_roles, services
from apps.identity.models import User


@admin.register(User)
class UserAdmin(ServiceAdmin, DjangoUserAdmin):
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

    def save_model(self, request, obj, form, change):
        """New users and (de)activations go through identity's services, like the API's."""
        if not change:
            created = services.user_create(
                username=obj.username, email=obj.email, password_hash=obj.password,
                first_name=obj.first_name, last_name=obj.last_name,
                is_superuser=obj.is_superuser,
            )  # fmt: skip
            obj.pk, obj._state.adding = created.pk, False
            return
        if "is_active" in form.changed_data:
            services.user_set_active(user=obj, active=obj.is_active)
        if "is_superuser" in form.changed_data:
            services.user_set_super_admin(user=obj, super_admin=obj.is_superuser)
        super().save_model(request, obj, form, change)

    def delete_model(self, request, obj):
        services.user_delete(user=obj)

    def delete_queryset(self, request, queryset):
        for user in queryset:
            try:
                services.user_delete(user=user)
            except REFUSALS as error:
                admin_refusal(self, request, error, doing=f"delete {user}")

    def save_formset(self, request, form, formset, change):
        if formset.model is admin_roles.RoleAssignment:
            admin_roles.save_role_grants(request, formset)
        elif formset.model is admin_roles.UserSession:
            admin_roles.end_deleted_sessions(formset)
        else:
            super().save_formset(request, form, formset, change)


@admin.register(UserObjectPermission)
class ObjectPermissionAdmin(AuditedAdmin, admin.ModelAdmin):
    """Records shared with one user (django-guardian): who may do what to which record.
    Grants are made by the apps (apps.identity.objects); here they are reviewed and revoked."""

    list_display = ["user", "permission", "content_type", "object_pk"]
    list_filter = ["content_type"]
    search_fields = ["user__username", "object_pk", "permission__codename"]
    list_select_related = ["user", "permission", "content_type"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
