"""The licensing history: every change of every subscription, read-only."""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from apps.core.kit.admin import ReadOnlyAdmin, ReadOnlyInline
from apps.platform.licensing.models import Subscription, SubscriptionEvent

Status = Subscription.Status
STATUS_LABELS = dict(Status.choices)


class EventColumns:
    """The status and plan moves of a SubscriptionEvent, for the inline and the events list."""

    @admin.display(description="status")
    def status_change(self, event):
        return _arrow(_status_label(event.from_status), _status_label(event.to_status))

    @admin.display(description="plan")
    def plan_change(self, event):
        return _arrow(
            event.from_plan.name if event.from_plan else "",
            event.to_plan.name if event.to_plan else "",
        )


class SubscriptionEventInline(EventColumns, ReadOnlyInline):
    """The licence's history, newest first; written by the services only."""

    model = SubscriptionEvent
    fields = ["created_at", "action", "status_change", "plan_change", "actor", "note", "details"]
    ordering = ["-created_at", "-id"]
    verbose_name_plural = "history"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("from_plan", "to_plan")

    @admin.display(description="changes")
    def details(self, event):
        return _changes(event)


def _status_label(value: str) -> str:
    return STATUS_LABELS.get(value, value)


def _arrow(before: str, after: str) -> str:
    if before and after and before != after:
        return f"{before} → {after}"
    return after or before or "—"


def _changes(event: SubscriptionEvent):
    after = (event.changes or {}).get("after")
    if not after:
        return "—"
    return format_html(
        "<code>features {}</code><br><code>limits {}</code>",
        after.get("features", {}),
        after.get("limits", {}),
    )


@admin.register(SubscriptionEvent)
class SubscriptionEventAdmin(EventColumns, ReadOnlyAdmin):
    """The licensing history of every tenant, read-only."""

    list_display = [
        "created_at",
        "tenant",
        "app",
        "action",
        "status_change",
        "plan_change",
        "actor",
        "note",
    ]
    list_filter = ["action", "subscription__app", "to_status", "created_at"]
    list_select_related = [
        "subscription__tenant",
        "subscription__app",
        "from_plan",
        "to_plan",
    ]
    search_fields = [
        "subscription__tenant__name",
        "subscription__tenant__slug",
        "actor",
        "note",
    ]
    date_hierarchy = "created_at"
    fields = [
        "created_at",
        "subscription_link",
        "action",
        "status_change",
        "plan_change",
        "actor",
        "note",
        "details",
    ]
    readonly_fields = fields
    list_per_page = 100

    @admin.display(description="tenant", ordering="subscription__tenant__name")
    def tenant(self, event):
        return event.subscription.tenant

    @admin.display(description="app", ordering="subscription__app__position")
    def app(self, event):
        return event.subscription.app

    @admin.display(description="subscription")
    def subscription_link(self, event):
        url = reverse("admin:licensing_subscription_change", args=[event.subscription_id])
        return format_html('<a href="{}">{}</a>', url, event.subscription)

    @admin.display(description="changes")
    def details(self, event):
        return _changes(event)
