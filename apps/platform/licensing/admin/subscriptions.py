"""Platform console: subscriptions.

A subscription is created, activated, suspended, cancelled, moved to another plan and given
overrides only through `apps.platform.licensing.services`, which records a SubscriptionEvent
for each change and invalidates entitlements; its dates and status are read-only here.
"""

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db import models
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.utils.http import urlencode

from apps.core.admin_actions import run_for_each
from apps.core.admin_audit import AuditedAdmin
from apps.core.kit.admin import lifecycle_buttons, redirect_to_next
from apps.core.kit.refusals import REFUSALS, admin_refusal
from apps.platform.catalog.models import Plan
from apps.platform.console import SeparateAddFormAdmin, status_badge
from apps.platform.licensing import services
from apps.platform.licensing.admin.events import SubscriptionEventInline
from apps.platform.licensing.admin.forms import (
    JSON_WIDGET,
    ChangePlanForm,
    SubscriptionAddForm,
    SubscriptionOverridesForm,
)
from apps.platform.licensing.models import Subscription
from apps.platform.licensing.selectors import subscription_monthly_value

Status = Subscription.Status


def _actor(request) -> str:
    return request.user.get_username()


def _name(subscription: Subscription) -> str:
    return f"{subscription.tenant.name} · {subscription.app.name}"


class PlanFilter(admin.RelatedFieldListFilter):
    """Plans named with their app, read in one query."""

    def field_choices(self, field, request, model_admin):
        return [(plan.pk, str(plan)) for plan in Plan.objects.select_related("app")]


#: Buttons of the change page: (action, label, style, statuses it is offered in). Presentation
#: only: the services decide, and refuse with a message when they must.
SUBSCRIPTION_BUTTONS = [
    ("activate_subscriptions", "Activate", "", {"trial", "past_due", "suspended"}),
    ("change_plan", "Change plan…", "", {"trial", "active", "past_due", "suspended"}),
    ("mark_past_due", "Mark past due", "warning", {"active"}),
    ("suspend_subscriptions", "Suspend", "warning", {"trial", "active", "past_due"}),
    ("cancel_subscriptions", "Cancel", "danger", {"trial", "active", "past_due", "suspended"}),
]


@admin.register(Subscription)
class SubscriptionAdmin(SeparateAddFormAdmin, AuditedAdmin):
    list_display = [
        "tenant",
        "app",
        "plan",
        "status_badge",
        "trial_ends_at",
        "current_period_end",
        "monthly_value",
    ]
    list_filter = ["app", ("plan", PlanFilter), "status"]
    list_select_related = ["tenant", "app", "plan__app"]
    search_fields = ["tenant__name", "tenant__slug"]
    list_per_page = 50
    actions = [
        "activate_subscriptions",
        "change_plan",
        "mark_past_due",
        "suspend_subscriptions",
        "cancel_subscriptions",
    ]
    inlines = [SubscriptionEventInline]
    form = SubscriptionOverridesForm
    add_form = SubscriptionAddForm
    add_fieldsets = [(None, {"fields": ["tenant", "plan", "status", "note"]})]
    fieldsets = [
        ("Licence", {"fields": ["tenant", "app", "plan", "status_badge", "monthly_value"]}),
        (
            "Period",
            {
                "fields": [
                    "trial_ends_at",
                    "current_period_start",
                    "current_period_end",
                    "past_due_since",
                    "cancelled_at",
                    "created_at",
                    "updated_at",
                ]
            },
        ),
        (
            "Entitlements",
            {
                "fields": [
                    "plan_features",
                    "plan_limits",
                    "feature_overrides",
                    "limit_overrides",
                    "override_note",
                ],
                "description": "The plan's features and limits, and this subscription's "
                "overrides on top of them. Plan, status and dates change through the actions.",
            },
        ),
    ]
    readonly_fields = [
        "tenant",
        "app",
        "plan",
        "status_badge",
        "monthly_value",
        "trial_ends_at",
        "current_period_start",
        "current_period_end",
        "past_due_since",
        "cancelled_at",
        "created_at",
        "updated_at",
        "plan_features",
        "plan_limits",
    ]
    formfield_overrides = {models.JSONField: {"widget": JSON_WIDGET}}

    # -- add: subscription_create; change: subscription_set_overrides --------------------------

    def has_delete_permission(self, request, obj=None):
        # A licence ends by cancellation, which keeps its history; never by a delete.
        return False

    def save_form(self, request, form, change):
        if not change:
            return form.save(actor=_actor(request))
        return super().save_form(request, form, change)

    def save_model(self, request, obj, form, change):
        if not change:
            return  # created by subscription_create in the form's save()
        if not {"feature_overrides", "limit_overrides"} & set(form.changed_data):
            return
        services.subscription_set_overrides(
            subscription=obj,
            actor=_actor(request),
            features=form.cleaned_data["feature_overrides"],
            limits=form.cleaned_data["limit_overrides"],
            note=form.cleaned_data.get("override_note", ""),
        )

    def add_view(self, request, form_url="", extra_context=None):
        try:
            return super().add_view(request, form_url, extra_context)
        except REFUSALS as error:
            # E.g. the tenant already holds this app: rolled back; refill the form.
            admin_refusal(self, request, error)
            refill = {k: request.POST.get(k, "") for k in ("tenant", "plan", "status", "note")}
            return HttpResponseRedirect(f"{request.path}?{urlencode(refill)}")

    def change_view(self, request, object_id, form_url="", extra_context=None):
        subscription = self.get_object(request, object_id)
        if subscription is not None and self.has_change_permission(request, subscription):
            extra_context = {
                **(extra_context or {}),
                "lifecycle_buttons": lifecycle_buttons(SUBSCRIPTION_BUTTONS, subscription.status),
                "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            }
        try:
            return super().change_view(request, object_id, form_url, extra_context)
        except REFUSALS as error:
            admin_refusal(self, request, error)
            return HttpResponseRedirect(request.path)

    # -- columns ----------------------------------------------------------------------------------

    @admin.display(description="status", ordering="status")
    def status_badge(self, subscription):
        return status_badge(subscription.status, subscription.get_status_display())

    @admin.display(description="monthly value")
    def monthly_value(self, subscription):
        return f"{subscription_monthly_value(subscription):,.2f} {subscription.plan.currency}"

    @admin.display(description="plan features")
    def plan_features(self, subscription):
        return ", ".join(subscription.plan.features) or "—"

    @admin.display(description="plan limits")
    def plan_limits(self, subscription):
        limits = subscription.plan.limits
        return (
            ", ".join(
                f"{key} = {'unlimited' if value is None else value}"
                for key, value in limits.items()
            )
            or "—"
        )

    # -- actions ------------------------------------------------------------------------------

    def _each(self, request, queryset, service, *, done: str, doing: str):
        run_for_each(
            self,
            request,
            queryset,
            lambda subscription: service(subscription=subscription, actor=_actor(request)),
            done=done,
            doing=doing,
            name=_name,
        )
        return redirect_to_next(request)

    @admin.action(description="Activate (start paying from today)", permissions=["change"])
    def activate_subscriptions(self, request, queryset):
        return self._each(
            request, queryset, services.subscription_activate, done="{} activated.",
            doing="activate",
        )  # fmt: skip

    @admin.action(description="Mark past due (grace period starts)", permissions=["change"])
    def mark_past_due(self, request, queryset):
        return self._each(
            request, queryset, services.subscription_mark_past_due,
            done="{} marked past due.", doing="mark past due",
        )  # fmt: skip

    @admin.action(description="Suspend (the app switches off)", permissions=["change"])
    def suspend_subscriptions(self, request, queryset):
        return self._each(
            request, queryset, services.subscription_suspend, done="{} suspended.",
            doing="suspend",
        )  # fmt: skip

    @admin.action(description="Cancel", permissions=["change"])
    def cancel_subscriptions(self, request, queryset):
        return self._each(
            request, queryset, services.subscription_cancel, done="{} cancelled.", doing="cancel"
        )

    @admin.action(description="Change plan…", permissions=["change"])
    def change_plan(self, request, queryset):
        subscriptions = list(queryset)
        apps = {subscription.app for subscription in subscriptions}
        if len(apps) != 1:
            self.message_user(
                request,
                "Select subscriptions of a single app to change their plan: each plan belongs "
                f"to one app, and these span {len(apps)} ({', '.join(sorted(map(str, apps)))}).",
                messages.ERROR,
            )
            return redirect_to_next(request)
        (app,) = apps
        applying = "apply" in request.POST
        form = ChangePlanForm(request.POST if applying else None, app=app)
        if applying and form.is_valid():
            plan, note = form.cleaned_data["plan"], form.cleaned_data["note"]
            run_for_each(
                self,
                request,
                subscriptions,
                lambda subscription: services.subscription_change_plan(
                    subscription=subscription, plan=plan, actor=_actor(request), note=note
                ),
                done=f"{{}} moved to the {plan.name} plan.",
                doing="change the plan of",
                name=_name,
            )
            return redirect_to_next(request)
        context = {
            **self.admin_site.each_context(request),
            "title": f"Change the plan of {len(subscriptions)} {app.name} subscription(s)",
            "opts": self.opts,
            "app": app,
            "subscriptions": subscriptions,
            "form": form,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "next": request.POST.get("next", ""),
        }
        return TemplateResponse(request, "admin/licensing/subscription/change_plan.html", context)
