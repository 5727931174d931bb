"""Billing runs (with the "Run billing now" button), billing settings, numbering and the
dunning policy."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.urls import path, reverse

from apps.core.admin_audit import audit_admin_action
from apps.core.kit.admin import ReadOnlyAdmin, ServiceAdmin
from apps.core.kit.refusals import REFUSALS, admin_refusal
from apps.isp.models import (
    BillingRun,
    BillingSettings,
    DocumentSequence,
    DunningNotice,
    DunningStep,
)
from apps.isp.services.runs import billing_run_request
from apps.platform.licensing.guards import current_entitlements


@admin.register(BillingRun)
class BillingRunAdmin(ReadOnlyAdmin):
    list_display = [
        "created_at",
        "as_of",
        "status",
        "triggered_by",
        "invoices_created",
        "total_invoiced",
        "started_at",
        "finished_at",
        "error_count",
    ]
    list_filter = ["status"]
    date_hierarchy = "as_of"
    change_list_template = "admin/isp/billingrun/change_list.html"
    inlines = []

    @admin.display(description="errors")
    def error_count(self, run):
        return len(run.errors or [])

    def get_urls(self):
        run_now = self.admin_site.admin_view(self.run_now_view)
        return [path("run/", run_now, name="isp_billingrun_run"), *super().get_urls()]

    def run_now_view(self, request):
        """The "Run billing now" button: queue a run as of today (POST only)."""
        if request.method != "POST":
            return HttpResponseRedirect(reverse("admin:isp_billingrun_changelist"))
        if not self.has_view_permission(request) or not request.user.is_superuser:
            raise PermissionDenied
        try:
            run = billing_run_request(actor=request.user)
        except REFUSALS as error:
            admin_refusal(self, request, error, doing="start")
        else:
            audit_admin_action(request, run, "run_billing_now")
            self.message_user(
                request,
                f"Billing run as of {run.as_of:%d %b %Y} queued: it invoices every service due "
                "and appears here when done.",
                messages.SUCCESS,
            )
        return HttpResponseRedirect(reverse("admin:isp_billingrun_changelist"))


@admin.register(BillingSettings)
class BillingSettingsAdmin(ServiceAdmin):
    list_display = [
        "__str__",
        "invoice_prefix",
        "credit_note_prefix",
        "payment_terms_days",
        "company_name",
    ]

    def has_add_permission(self, request):
        return False  # one row, created with the tenant

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(DocumentSequence)
class DocumentSequenceAdmin(ReadOnlyAdmin):
    """Shown for reference; editing a sequence would break gapless numbering."""

    list_display = ["key", "next_number"]


@admin.register(DunningStep)
class DunningStepAdmin(ServiceAdmin):
    """The dunning policy; changing it needs a plan with `isp.dunning` (Pro, Enterprise)."""

    list_display = ["days_overdue", "name", "action", "is_active"]
    list_filter = ["action", "is_active"]
    ordering = ["days_overdue"]

    def _in_plan(self) -> bool:
        return current_entitlements().has_feature("isp.dunning")

    def has_add_permission(self, request):
        return self._in_plan() and super().has_add_permission(request)

    def has_change_permission(self, request, obj=None):
        return self._in_plan() and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._in_plan() and super().has_delete_permission(request, obj)


@admin.register(DunningNotice)
class DunningNoticeAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "customer", "invoice", "step", "action"]
    list_filter = ["action", "step"]
    list_select_related = ["customer", "invoice", "step"]
    search_fields = ["customer__name", "invoice__number"]
