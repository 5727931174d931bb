"""Platform console: the app catalog (apps and their plans).

Editing a plan's features or limits changes what every subscriber may do, so each save and
delete invalidates entitlements once committed (licensing's signals), whatever the write path.
"""

from django import forms
from django.contrib import admin
from django.db import models
from django.db.models import Count, Q
from django.utils.html import format_html

from apps.core.admin_audit import AuditedAdmin
from apps.platform.catalog.models import App, Plan
from apps.platform.licensing.selectors import BILLABLE

JSON_WIDGET = {"widget": forms.Textarea(attrs={"rows": 3, "cols": 30, "class": "dm-json"})}


class PlanForm(forms.ModelForm):
    """An empty features or limits box means none (a list / a mapping), not null."""

    class Meta:
        model = Plan
        fields = [
            "app", "key", "name", "price", "currency", "billing_period", "trial_days",
            "features", "limits", "is_active", "position",
        ]  # fmt: skip

    def clean_features(self):
        return self.cleaned_data["features"] or []

    def clean_limits(self):
        return self.cleaned_data["limits"] or {}


class CatalogChangeMixin:
    """Every write to the catalog makes the entitlements computed from it stale."""


class PlanInline(admin.TabularInline):
    model = Plan
    form = PlanForm
    extra = 0
    fields = [
        "key",
        "name",
        "price",
        "currency",
        "billing_period",
        "trial_days",
        "features",
        "limits",
        "is_active",
        "position",
    ]
    formfield_overrides = {models.JSONField: JSON_WIDGET}
    show_change_link = True
    classes = ["dm-plan-inline"]


@admin.register(App)
class AppAdmin(CatalogChangeMixin, AuditedAdmin):
    list_display = ["title", "key", "tagline", "plan_count", "subscriber_count", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["name", "key", "tagline"]
    ordering = ["position", "name"]
    fieldsets = [
        (None, {"fields": ["key", "name", "icon", "tagline", "description"]}),
        ("Sale", {"fields": ["is_active", "position"]}),
    ]
    inlines = [PlanInline]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                n_plans=Count("plans", distinct=True),
                n_subscribers=Count(
                    "subscriptions",
                    filter=Q(subscriptions__status__in=[*BILLABLE, "trial"]),
                    distinct=True,
                ),
            )
        )

    def has_delete_permission(self, request, obj=None):
        # An app is a module of the product: it is taken off sale, never deleted.
        return False

    def get_readonly_fields(self, request, obj=None):
        # The key names the app in URLs, feature flags and limits: fixed once created.
        return ["key"] if obj is not None else []

    @admin.display(description="app", ordering="name")
    def title(self, app):
        return format_html("{} {}", app.icon, app.name)

    @admin.display(description="plans", ordering="n_plans")
    def plan_count(self, app):
        return app.n_plans

    @admin.display(description="subscribers", ordering="n_subscribers")
    def subscriber_count(self, app):
        return app.n_subscribers


@admin.register(Plan)
class PlanAdmin(CatalogChangeMixin, AuditedAdmin):
    form = PlanForm
    list_display = [
        "name",
        "app",
        "key",
        "price_display",
        "billing_period",
        "trial_days",
        "feature_list",
        "limit_list",
        "subscriber_count",
        "is_active",
    ]
    list_filter = ["app", "billing_period", "is_active"]
    list_select_related = ["app"]
    search_fields = ["name", "key", "app__name"]
    ordering = ["app__position", "position", "price"]
    fieldsets = [
        (None, {"fields": ["app", "key", "name", "position"]}),
        ("Price", {"fields": ["price", "currency", "billing_period", "trial_days", "is_active"]}),
        (
            "Entitlements",
            {
                "fields": ["features", "limits"],
                "description": 'Features: a list of flags, e.g. ["crm.forecasting"]. Limits: '
                'a mapping such as {"crm.max_users": 25}; null or an absent key is unlimited.',
            },
        ),
    ]
    formfield_overrides = {
        models.JSONField: {"widget": forms.Textarea(attrs={"rows": 5, "class": "dm-json"})}
    }

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                n_subscribers=Count(
                    "subscriptions", filter=Q(subscriptions__status__in=[*BILLABLE, "trial"])
                )
            )
        )

    def get_readonly_fields(self, request, obj=None):
        # Moving a plan to another app would move its subscribers with it.
        return ["app", "key"] if obj is not None else []

    @admin.display(description="price", ordering="price")
    def price_display(self, plan):
        return f"{plan.price:,.2f} {plan.currency}"

    @admin.display(description="features")
    def feature_list(self, plan):
        return ", ".join(plan.features) or "—"

    @admin.display(description="limits")
    def limit_list(self, plan):
        return (
            ", ".join(
                f"{key.split('.', 1)[-1]}: {'unlimited' if value is None else value}"
                for key, value in plan.limits.items()
            )
            or "—"
        )

    @admin.display(description="subscribers", ordering="n_subscribers")
    def subscriber_count(self, plan):
        return plan.n_subscribers
