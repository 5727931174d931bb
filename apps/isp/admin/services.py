"""Customers' services: ordered, then moved through their lifecycle by the actions (and the
change page's buttons); the plan changes they went through."""

from django.contrib import admin
from django.contrib.admin import helpers

from apps.core.admin_actions import run_for_each
from apps.core.kit import admin as kit
from apps.core.kit.admin import ReadOnlyAdmin, ReadOnlyInline, lifecycle_buttons, redirect_to_next
from apps.isp.models import Service, ServicePlanChange
from apps.isp.services import subscriptions


class PlanChangeInline(ReadOnlyInline):
    model = ServicePlanChange
    fk_name = "service"
    fields = ["effective_on", "from_plan", "to_plan", "credited", "charged", "actor"]


#: Change-page buttons: (admin action, label, style, statuses it applies to).
SERVICE_BUTTONS = [
    ("activate_services", "Activate today", "", {"pending"}),
    ("suspend_services", "Suspend", "warning", {"active"}),
    ("restore_services", "Restore", "", {"suspended"}),
    ("terminate_services", "Terminate today", "danger", {"pending", "active", "suspended"}),
]


@admin.register(Service)
class ServiceAdmin(kit.ServiceAdmin):
    list_display = [
        "__str__",
        "customer",
        "plan",
        "status",
        "activated_on",
        "billed_until",
        "suspension_reason",
    ]
    list_filter = ["status", "suspension_reason", "plan"]
    search_fields = [
        "customer__name",
        "customer__account_number",
        "plan__name",
        "install_postcode",  # encrypted: exact postcode only; the street is not searchable
    ]
    list_select_related = ["customer", "plan"]
    autocomplete_fields = ["customer"]
    readonly_fields = [
        "status",
        "activated_on",
        "terminated_on",
        "billed_until",
        "suspended_at",
        "suspension_reason",
        "created_at",
        "updated_at",
    ]
    inlines = [PlanChangeInline]
    actions = ["activate_services", "suspend_services", "restore_services", "terminate_services"]
    change_form_template = "admin/isp/service/change_form.html"

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return self.readonly_fields
        return ["customer", "plan", *self.readonly_fields]  # moved by change-plan, not edited

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            context["lifecycle_buttons"] = lifecycle_buttons(SERVICE_BUTTONS, obj.status)
            context["action_checkbox_name"] = helpers.ACTION_CHECKBOX_NAME
        return super().render_change_form(request, context, add, change, form_url, obj)

    create_service = staticmethod(subscriptions.service_create)
    update_service = staticmethod(subscriptions.service_update)

    def has_delete_permission(self, request, obj=None):
        return False  # a service is terminated, never deleted

    def _lifecycle(self, request, queryset, call, done, doing):
        run_for_each(self, request, queryset, call, done=done, doing=doing)
        return redirect_to_next(request)

    @admin.action(description="Activate the selected services today")
    def activate_services(self, request, queryset):
        return self._lifecycle(
            request,
            queryset,
            lambda s: subscriptions.service_activate(service=s, actor=request.user),
            "{} activated; its first invoice is issued.",
            "activate",
        )

    @admin.action(description="Suspend the selected services")
    def suspend_services(self, request, queryset):
        return self._lifecycle(
            request,
            queryset,
            lambda s: subscriptions.service_suspend(service=s, actor=request.user),
            "{} suspended.",
            "suspend",
        )

    @admin.action(description="Restore the selected services")
    def restore_services(self, request, queryset):
        return self._lifecycle(
            request,
            queryset,
            lambda s: subscriptions.service_restore(service=s, actor=request.user),
            "{} restored.",
            "restore",
        )

    @admin.action(description="Terminate the selected services today")
    def terminate_services(self, request, queryset):
        return self._lifecycle(
            request,
            queryset,
            lambda s: subscriptions.service_terminate(service=s, actor=request.user),
            "{} terminated.",
            "terminate",
        )


@admin.register(ServicePlanChange)
class ServicePlanChangeAdmin(ReadOnlyAdmin):
    list_display = [
        "service",
        "from_plan",
        "to_plan",
        "effective_on",
        "credited",
        "charged",
        "actor",
    ]
    list_select_related = ["service__customer", "service__plan", "from_plan", "to_plan"]
    date_hierarchy = "effective_on"
