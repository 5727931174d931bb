"""The admin side of the audit trail: every admin save and delete is recorded (`AuditedAdmin`;
the trail itself is listed read-only by apps.core.admin)."""

from django.contrib import admin

from apps.core.audit import audit_created, audit_deleted, audit_record, audit_updated, snapshot
from apps.core.models import AuditEntry

__all__ = ["AuditedAdmin", "audit_admin_action"]


def _stored(obj) -> dict:
    """The object as the database holds it now (a form has already changed `obj` in memory)."""
    if obj.pk is None:
        return {}
    current = type(obj)._default_manager.filter(pk=obj.pk).first()
    return snapshot(current) if current is not None else {}


def audit_admin_action(request, obj, action_name: str) -> AuditEntry:
    """An admin action applied to one object (the services it called record their own writes)."""
    return audit_record(
        action="admin_action", instance=obj, changes={"admin_action": [None, action_name]}
    )


class AuditedAdmin(admin.ModelAdmin):
    """A ModelAdmin whose saves and deletes, its inlines' included, land in the audit trail.

    Admins that save through a service (which records its own entry) override save_model
    without calling super(), and so record once.
    """

    def save_model(self, request, obj, form, change):
        before = _stored(obj) if change else None
        super().save_model(request, obj, form, change)
        if change:
            audit_updated(obj, before)
        else:
            audit_created(obj)

    def delete_model(self, request, obj):
        before, pk = snapshot(obj), obj.pk
        super().delete_model(request, obj)
        audit_deleted(obj, before, object_id=pk)

    def delete_queryset(self, request, queryset):
        doomed = [(obj, snapshot(obj), obj.pk) for obj in queryset]
        super().delete_queryset(request, queryset)
        for obj, before, pk in doomed:
            audit_deleted(obj, before, object_id=pk)

    def save_formset(self, request, form, formset, change):
        # The inline rows as stored, keyed by their objects (a deleted one loses its pk).
        stored = {
            id(inline.instance): (inline.instance.pk, _stored(inline.instance))
            for inline in formset.initial_forms
            if inline.instance.pk is not None
        }
        super().save_formset(request, form, formset, change)
        for obj in getattr(formset, "new_objects", []):
            audit_created(obj)
        for obj, _fields in getattr(formset, "changed_objects", []):
            audit_updated(obj, stored.get(id(obj), (None, {}))[1])
        for obj in getattr(formset, "deleted_objects", []):
            pk, before = stored.get(id(obj), (None, snapshot(obj)))
            audit_deleted(obj, before, object_id=pk)
