"""What the ISP admin pages share: read-only documents and inlines, running a service per
selected object with a message each, money shown with its currency."""

from django.contrib import admin
from django.http import HttpResponseRedirect

from apps.core.admin_audit import AuditedAdmin


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
