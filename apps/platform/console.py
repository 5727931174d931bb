"""What the platform console's pages share: status badges and admins whose add page is a form
of its own. (That the console's models answer only on the public host is the admin site's rule:
apps.core.admin_site.)"""

from django.contrib import admin
from django.utils.html import format_html

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
