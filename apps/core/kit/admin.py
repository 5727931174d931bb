"""The admin kit: consoles that write through the apps' services, like the API and the pages.

    @admin.register(ServicePlan)
    class ServicePlanAdmin(ServiceAdmin):
        create_service = staticmethod(plans.plan_create)   # (**fields, actor=) -> instance
        update_service = staticmethod(plans.plan_update)   # (plan=stored, **changed, actor=)
        service_object = "plan"

- A create passes the form's fields (blank ones left out), an update only the changed ones, a
  delete the stored object; the services validate, write and record the audit trail. A model
  without services is saved the audited generic way (AuditedAdmin).
- An inline declares its services the same way (`ServiceInline`): its rows are created with
  the parent (`parent_keyword`), changed and deleted through them.
- A refusal (a DomainError or a ValidationError) is shown as the page's error message, worded
  as everywhere (apps.core.kit.refusals), and nothing is written.
- `ReadOnlyAdmin` / `ReadOnlyInline`: records the services write (documents, ledgers, logs),
  listed and shown, never added, changed or deleted here.
"""

from django.contrib import admin
from django.db.models import Q
from django.http import HttpResponseRedirect
from django.utils.http import url_has_allowed_host_and_scheme

from apps.core.admin_audit import AuditedAdmin
from apps.core.encryption import whole_value_match
from apps.core.kit.refusals import REFUSALS, admin_refusal

__all__ = [
    "ReadOnlyAdmin",
    "ReadOnlyInline",
    "ServiceAdmin",
    "ServiceInline",
    "lifecycle_buttons",
    "redirect_to_next",
]


def lifecycle_buttons(buttons, status: str) -> list[dict]:
    """The change page's action buttons that apply to an object in `status` (rows of
    `buttons`: admin action, label, style, the statuses it applies to)."""
    return [
        {"action": action, "label": label, "style": style}
        for action, label, style, statuses in buttons
        if status in statuses
    ]


def redirect_to_next(request) -> HttpResponseRedirect | None:
    """Back to the page a change-page button came from (its `next`: a page of this site only),
    if it said so."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return HttpResponseRedirect(target)
    return None


class _Services:
    create_service = None
    update_service = None
    destroy_service = None
    #: The keyword naming the object in the update and destroy services (default: the model's
    #: name).
    service_object: str | None = None

    def _keyword(self) -> str:
        return self.service_object or self.model._meta.model_name

    def _stored(self, obj):
        """The object as the database holds it (the form has changed `obj` in memory)."""
        return type(obj)._default_manager.get(pk=obj.pk)


def _given(form, names) -> dict:
    return {name: form.cleaned_data[name] for name in names if name in form.cleaned_data}


class ServiceInline(_Services, admin.TabularInline):
    #: The keyword naming the parent in `create_service` (default: the inline's foreign key).
    parent_keyword: str | None = None


class ServiceAdmin(_Services, AuditedAdmin):
    def get_search_results(self, request, queryset, search_term):
        found, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        # A phone number typed with spaces, as one value (apps.core.encryption)
        match = whole_value_match(self.model, self.get_search_fields(request), search_term)
        if match is None:
            return found, may_have_duplicates
        return queryset.filter(Q(pk__in=found.values("pk")) | match), may_have_duplicates

    def _filled(self, form) -> dict:
        return {
            name: value
            for name, value in form.cleaned_data.items()
            if value is not None and value != "" and name in form.base_fields
        }

    def save_model(self, request, obj, form, change):
        if change and self.update_service is not None:
            changed = _given(form, form.changed_data)
            if changed:
                type(self).update_service(
                    **{self._keyword(): self._stored(obj)}, **changed, actor=request.user
                )
            return
        if not change and self.create_service is not None:
            created = type(self).create_service(**self._filled(form), actor=request.user)
            obj.pk, obj._state.adding = created.pk, False
            return
        super().save_model(request, obj, form, change)

    def delete_model(self, request, obj):
        if self.destroy_service is None:
            return super().delete_model(request, obj)
        type(self).destroy_service(**{self._keyword(): obj}, actor=request.user)
        return None

    def delete_queryset(self, request, queryset):
        """Each selected object through the delete service, refusals one by one."""
        if self.destroy_service is None:
            return super().delete_queryset(request, queryset)
        for obj in queryset:
            try:
                self.delete_model(request, obj)
            except REFUSALS as error:
                admin_refusal(self, request, error, doing=f"delete {obj}")
        return None

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        """A refusal of the services leaves the object as it was (the admin's transaction is
        rolled back) and is said on the page."""
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except REFUSALS as error:
            admin_refusal(self, request, error)
            return HttpResponseRedirect(request.get_full_path())

    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except REFUSALS as error:
            admin_refusal(self, request, error, doing="delete")
            return HttpResponseRedirect(request.get_full_path())

    def save_formset(self, request, form, formset, change):
        inline = next(
            (
                inline
                for inline in self.get_inline_instances(request, form.instance)
                if isinstance(inline, ServiceInline) and inline.model is formset.model
            ),
            None,
        )
        if inline is None:
            return super().save_formset(request, form, formset, change)
        parent = inline.parent_keyword or formset.fk.name
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for row in formset.forms:
            obj = row.instance
            if row in formset.deleted_forms:
                if obj.pk is not None:
                    inline.destroy_service(
                        **{inline._keyword(): inline._stored(obj)}, actor=request.user
                    )
                    formset.deleted_objects.append(obj)
            elif not row.has_changed():
                continue
            elif obj.pk is None:
                fields = {name: value for name, value in _given(row, row.changed_data).items()
                          if name != formset.fk.name}  # fmt: skip
                created = inline.create_service(
                    **{parent: form.instance}, **fields, actor=request.user
                )
                formset.new_objects.append(created)
            else:
                changed = _given(row, row.changed_data)
                updated = inline.update_service(
                    **{inline._keyword(): inline._stored(obj)}, **changed, actor=request.user
                )
                formset.changed_objects.append((updated, row.changed_data))
        return None


class ReadOnlyAdmin(AuditedAdmin):
    """Records the services write (documents, ledgers, logs): listed and shown, never edited."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    max_num = 0
    can_delete = False
    classes = ["dm-readonly-inline"]

    def get_readonly_fields(self, request, obj=None):
        return self.fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
