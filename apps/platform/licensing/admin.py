"""Platform console: subscriptions and their history.

A subscription is created, activated, suspended, cancelled, moved to another plan and given
overrides only through `apps.platform.licensing.services`, which records a SubscriptionEvent
for each change and invalidates entitlements; its dates and status are read-only here.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import ValidationError
from django.db import models
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html
from django.utils.http import urlencode

from apps.core.admin_actions import run_for_each
from apps.core.kit.refusals import REFUSALS, admin_refusal
from apps.platform.catalog.models import Plan
from apps.platform.console import (
    PublicSchemaOnlyAdmin,
    SeparateAddFormAdmin,
    lifecycle_buttons,
    redirect_to_next,
    status_badge,
)
from apps.platform.licensing import services
from apps.platform.licensing.models import Subscription, SubscriptionEvent
from apps.platform.licensing.selectors import subscription_monthly_value
from apps.platform.tenants.models import Tenant
from apps.platform.tenants.selectors import tenant_list_organisations

Status = Subscription.Status
STATUS_LABELS = dict(Status.choices)
JSON_WIDGET = forms.Textarea(attrs={"rows": 4, "class": "dm-json"})


def _actor(request) -> str:
    return request.user.get_username()


def _name(subscription: Subscription) -> str:
    return f"{subscription.tenant.name} · {subscription.app.name}"


def _plans_on_sale():
    return Plan.objects.filter(is_active=True, app__is_active=True).select_related("app")


class SubscriptionAddForm(forms.ModelForm):
    """Subscribe a tenant to an app: a trial of the plan ("start trial") or active from now."""

    status = forms.ChoiceField(
        label="Start as",
        choices=[(Status.TRIAL, "Trial (the plan's trial days)"), (Status.ACTIVE, "Active")],
        initial=Status.TRIAL,
    )
    note = forms.CharField(label="Note", required=False, help_text="Kept in the history.")

    class Meta:
        model = Subscription
        fields = ["tenant", "plan", "status"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["tenant"].queryset = tenant_list_organisations().exclude(
            status=Tenant.Status.OFFBOARDED
        )
        self.fields["plan"].queryset = _plans_on_sale()

    def save(self, commit: bool = True, *, actor: str = "") -> Subscription:
        data = self.cleaned_data
        self.instance = services.subscription_create(
            tenant=data["tenant"],
            plan=data["plan"],
            status=data["status"],
            actor=actor,
            note=data.get("note", ""),
        )
        return self.instance

    def save_m2m(self) -> None:
        """Nothing to do: the service saved everything."""


class SubscriptionOverridesForm(forms.ModelForm):
    """The overrides on top of the plan; the service validates and records the change."""

    override_note = forms.CharField(
        label="Reason for the change", required=False, help_text="Kept in the history."
    )

    class Meta:
        model = Subscription
        fields = ["feature_overrides", "limit_overrides"]
        widgets = {"feature_overrides": JSON_WIDGET, "limit_overrides": JSON_WIDGET}
        help_texts = {
            "feature_overrides": "Flags granted (true) or withdrawn (false) on top of the plan, "
            'e.g. {"crm.forecasting": true}.',
            "limit_overrides": 'Limits replacing the plan\'s, e.g. {"crm.max_users": 50}; '
            "null is unlimited.",
        }

    def clean_feature_overrides(self):
        value = self.cleaned_data["feature_overrides"] or {}
        if not isinstance(value, dict) or not all(isinstance(v, bool) for v in value.values()):
            raise ValidationError("A JSON object mapping each flag to true or false.")
        return value

    def clean_limit_overrides(self):
        value = self.cleaned_data["limit_overrides"] or {}
        if not isinstance(value, dict) or not all(
            v is None or (isinstance(v, int) and not isinstance(v, bool) and v >= 0)
            for v in value.values()
        ):
            raise ValidationError("A JSON object mapping each limit to a whole number or null.")
        return value


class ChangePlanForm(forms.Form):
    plan = forms.ModelChoiceField(label="New plan", queryset=Plan.objects.none(), empty_label=None)
    note = forms.CharField(label="Note", required=False, help_text="Kept in the history.")

    def __init__(self, *args, app, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["plan"].queryset = _plans_on_sale().filter(app=app)


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


class SubscriptionEventInline(EventColumns, admin.TabularInline):
    """The licence's history, newest first; written by the services only."""

    model = SubscriptionEvent
    fields = ["created_at", "action", "status_change", "plan_change", "actor", "note", "details"]
    readonly_fields = fields
    ordering = ["-created_at", "-id"]
    extra = 0
    max_num = 0
    can_delete = False
    classes = ["dm-readonly-inline"]
    verbose_name_plural = "history"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("from_plan", "to_plan")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

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
class SubscriptionAdmin(SeparateAddFormAdmin, PublicSchemaOnlyAdmin):
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


@admin.register(SubscriptionEvent)
class SubscriptionEventAdmin(EventColumns, PublicSchemaOnlyAdmin):
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

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

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
