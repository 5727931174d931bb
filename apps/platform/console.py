"""What every platform console page shares: the public-schema-only admin, status badges and
running a service per selected object with a message for each."""

from django.contrib import admin
from django.db import connection
from django.http import HttpResponseRedirect
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme

from apps.core.admin_audit import AuditedAdmin

#: Badge colour of each status value, tenants' and subscriptions' alike.
STATUS_TONES = {
    "active": "green",
    "trial": "blue",
    "pending": "blue",
    "provisioning": "blue",
    "past_due": "amber",
    "suspended": "amber",
    "failed": "red",
    "cancelled": "grey",
    "offboarded": "grey",
}


def status_badge(value: str, label: str):
    return format_html(
        '<span class="dm-badge dm-badge--{}">{}</span>', STATUS_TONES.get(value, "grey"), label
    )


def redirect_to_next(request) -> HttpResponseRedirect | None:
    """Back to the page a change-form button came from (a local URL only), if it said so."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return HttpResponseRedirect(target)
    return None


class PublicSchemaOnlyAdmin(AuditedAdmin):
    """Platform models: visible in the platform console only, never in a tenant's admin.
    Their saves and deletes are audited (in the public schema).

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


class SeparateAddFormAdmin(admin.ModelAdmin):
    """An admin whose add page is a different form (`add_form`, `add_fieldsets`) that calls a
    service, while the change page shows the object with its read-only fields and inlines."""

    add_form = None
    add_fieldsets = None

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = self.add_form
        return super().get_form(request, obj, **kwargs)

    def get_fieldsets(self, request, obj=None):
        return self.add_fieldsets if obj is None else super().get_fieldsets(request, obj)

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else self.readonly_fields

    def get_inline_instances(self, request, obj=None):
        return [] if obj is None else super().get_inline_instances(request, obj)


def lifecycle_buttons(buttons, status: str) -> list[dict]:
    """The change page's action buttons that apply to an object in `status`.

    `buttons` rows are (admin action, label, style, statuses it applies to)."""
    return [
        {"action": action, "label": label, "style": style}
        for action, label, style, statuses in buttons
        if status in statuses
    ]
