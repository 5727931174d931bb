"""What the ISP admin pages share: read-only documents and inlines, running a service per
selected object with a message each, money shown with its currency."""

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect

from apps.core.admin_audit import AuditedAdmin, audit_admin_action
from apps.core.exceptions import DomainError


def error_text(error: Exception) -> str:
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    return getattr(error, "message", None) or str(error)


def run_for_each(modeladmin, request, objects, call, *, done: str, doing: str) -> None:
    """Call a service per selected object; one message each (success or the refusal)."""
    action_name = request.POST.get("action") or doing
    for obj in objects:
        try:
            call(obj)
        except (DomainError, ValidationError) as error:
            modeladmin.message_user(
                request, f"Could not {doing} {obj}: {error_text(error)}", messages.ERROR
            )
        else:
            audit_admin_action(request, obj, action_name)
            modeladmin.message_user(request, done.format(obj), messages.SUCCESS)
            modeladmin.log_change(request, obj, done.format(obj))


def back_to_change_page(request):
    """A change-page button posts the action with `next`: go back there."""
    target = request.POST.get("next", "")
    if target.startswith("/admin/"):
        return HttpResponseRedirect(target)
    return None


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


class ReadOnlyAdmin(AuditedAdmin):
    """Records the services write (documents, ledgers, logs): listed and shown, never edited."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def money(amount, currency: str = "") -> str:
    return f"{amount:,.2f} {currency}".strip()
