"""The tenant super admin's console for roles: which app areas and permissions each grants,
and who holds it. Imported by apps/identity/admin.py."""

from django import forms
from django.contrib import admin
from django.db.models import Count

from apps.core.admin_audit import AuditedAdmin
from apps.core.audit import audit_deleted, snapshot
from apps.core.kit import declaration
from apps.identity import services
from apps.identity.models import Role, RoleAssignment, UserSession
from apps.identity.sessions import session_store


class RoleForm(forms.ModelForm):
    areas = forms.MultipleChoiceField(
        choices=lambda: [(key, area.name) for key, area in declaration.areas().items()],
        widget=forms.CheckboxSelectMultiple,
        required=False,
        label="Apps it opens",
        help_text="A user opens an app only if the organisation subscribes to it, too.",
    )

    class Meta:
        model = Role
        fields = ["name", "description", "areas", "permissions"]


@admin.register(Role)
class RoleAdmin(AuditedAdmin, admin.ModelAdmin):
    form = RoleForm
    list_display = ["name", "apps_it_opens", "holders", "is_default"]
    search_fields = ["name", "description"]
    filter_horizontal = ["permissions"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(holder_count=Count("assignments"))

    @admin.display(description="apps it opens")
    def apps_it_opens(self, role):
        known = declaration.areas()
        return ", ".join(known[key].name for key in role.areas if key in known) or "—"

    @admin.display(description="holders", ordering="holder_count")
    def holders(self, role):
        return role.holder_count


class RoleAssignmentInline(admin.TabularInline):
    """Grants are saved through identity's services (see UserAdmin.save_formset)."""

    model = RoleAssignment
    fk_name = "user"
    extra = 1
    fields = ["role", "granted_by", "created_at"]
    readonly_fields = ["granted_by", "created_at"]
    verbose_name = "role"
    verbose_name_plural = "roles"


class UserSessionInline(admin.TabularInline):
    model = UserSession
    extra = 0
    fields = ["created_at", "ip", "user_agent"]
    readonly_fields = fields
    can_delete = True
    verbose_name = "signed-in browser"
    verbose_name_plural = "signed-in browsers (delete one to sign it out)"

    def has_add_permission(self, request, obj=None):
        return False


def save_role_grants(request, formset) -> None:
    """Apply an edited roles inline through the services the API uses."""
    user, actor = formset.instance, request.user.get_username()
    deleted = formset.deleted_forms
    for form in formset.forms:
        assignment = form.instance
        if form in deleted:
            if assignment.pk:
                services.role_revoke(user=user, role=assignment.role)
            continue
        if not form.has_changed() or form.cleaned_data.get("role") is None:
            continue
        if assignment.pk and "role" in form.changed_data:
            services.role_revoke(user=user, role=Role.objects.get(pk=form.initial["role"]))
        services.role_grant(user=user, role=form.cleaned_data["role"], granted_by=actor)
    _nothing_left_for_the_admin_log(formset)


def end_deleted_sessions(formset) -> None:
    """Sign out the browsers whose rows were deleted in the inline."""
    store = session_store()
    for form in formset.deleted_forms:
        if form.instance.pk:
            store(session_key=form.instance.session_key).delete()
            audit_deleted(form.instance, snapshot(form.instance))
            form.instance.delete()
    _nothing_left_for_the_admin_log(formset)


def _nothing_left_for_the_admin_log(formset) -> None:
    """The admin's change message reads what formset.save() would have reported; the services
    did the saving (and the audit trail has the details)."""
    formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
