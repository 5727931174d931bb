"""What a tenant's change page lists: its hosts and its subscriptions (read-only)."""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from apps.core.kit.admin import ReadOnlyInline
from apps.platform.console import status_badge
from apps.platform.licensing import selectors as licensing_selectors
from apps.platform.licensing.models import Subscription
from apps.platform.tenants.models import Domain


class DomainInline(admin.TabularInline):
    model = Domain
    extra = 0
    verbose_name_plural = "hosts"


class SubscriptionInline(ReadOnlyInline):
    """The tenant's licences, read-only: they change through the subscription actions."""

    model = Subscription
    fields = [
        "app_link",
        "plan_name",
        "status_badge",
        "trial_ends_at",
        "current_period_end",
        "monthly",
    ]
    verbose_name = "subscription"
    verbose_name_plural = "subscriptions"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("tenant", "app", "plan__app")

    @admin.display(description="status")
    def status_badge(self, subscription):
        return status_badge(subscription.status, subscription.get_status_display())

    @admin.display(description="app")
    def app_link(self, subscription):
        url = reverse("admin:licensing_subscription_change", args=[subscription.pk])
        return format_html(
            '<a href="{}">{} {}</a>', url, subscription.app.icon, subscription.app.name
        )

    @admin.display(description="plan")
    def plan_name(self, subscription):
        return subscription.plan.name

    @admin.display(description="monthly value")
    def monthly(self, subscription):
        value = licensing_selectors.subscription_monthly_value(subscription)
        return f"{value:,.2f} {subscription.plan.currency}"
