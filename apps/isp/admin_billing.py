"""The tenant admin's ISP money pages (imported by apps/isp/admin.py): invoices, credit notes,
payments and their allocations and refunds (read-only: the billing services write them), billing
runs with the "Run billing now" button, billing settings and the dunning policy."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect
from django.urls import path, reverse

from apps.core.admin_actions import error_text
from apps.core.admin_audit import AuditedAdmin, audit_admin_action
from apps.core.exceptions import DomainError
from apps.isp.admin_common import ReadOnlyAdmin, ReadOnlyInline, money
from apps.isp.models import (
    Allocation,
    BillingRun,
    BillingSettings,
    CreditNote,
    CreditNoteLine,
    DocumentSequence,
    DunningNotice,
    DunningStep,
    Invoice,
    InvoiceLine,
    Payment,
    Refund,
)
from apps.isp.services.runs import billing_run_request
from apps.platform.licensing.guards import current_entitlements

# --- Documents and money -----------------------------------------------------------------------


class InvoiceLineInline(ReadOnlyInline):
    model = InvoiceLine
    fields = [
        "kind",
        "description",
        "period_start",
        "period_end",
        "amount",
        "tax_rate",
        "tax_amount",
    ]


class CreditNoteLineInline(InvoiceLineInline):
    model = CreditNoteLine


class AllocationInline(ReadOnlyInline):
    model = Allocation
    fields = ["invoice", "payment", "credit_note", "amount", "created_at"]


class InvoiceAllocationInline(AllocationInline):
    fk_name = "invoice"
    verbose_name_plural = "settled by"


class RefundInline(ReadOnlyInline):
    model = Refund
    fields = ["amount", "reason", "gateway_reference", "actor", "created_at"]


@admin.register(Invoice)
class InvoiceAdmin(ReadOnlyAdmin):
    list_display = [
        "number",
        "customer",
        "issue_date",
        "due_date",
        "total_shown",
        "amount_due",
        "status",
    ]
    list_filter = ["status", "issue_date", "due_date"]
    search_fields = ["number", "customer__name", "customer__account_number"]
    list_select_related = ["customer"]
    date_hierarchy = "issue_date"
    inlines = [InvoiceLineInline, InvoiceAllocationInline]

    @admin.display(description="total", ordering="total")
    def total_shown(self, invoice):
        return money(invoice.total, invoice.currency)


@admin.register(CreditNote)
class CreditNoteAdmin(ReadOnlyAdmin):
    list_display = [
        "number",
        "customer",
        "issue_date",
        "total",
        "amount_unapplied",
        "invoice",
        "reason",
    ]
    list_filter = ["issue_date"]
    search_fields = ["number", "reason", "customer__name", "customer__account_number"]
    list_select_related = ["customer", "invoice"]
    date_hierarchy = "issue_date"
    inlines = [CreditNoteLineInline, AllocationInline]


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    list_display = [
        "received_on",
        "customer",
        "amount",
        "currency",
        "method",
        "status",
        "amount_unallocated",
        "amount_refunded",
        "reference",
    ]
    list_filter = ["status", "method", "received_on"]
    search_fields = ["reference", "gateway_reference", "customer__name", "customer__account_number"]
    list_select_related = ["customer"]
    date_hierarchy = "received_on"
    inlines = [AllocationInline, RefundInline]


@admin.register(Allocation)
class AllocationAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "invoice", "payment", "credit_note", "amount"]
    list_select_related = ["invoice", "payment", "credit_note"]
    search_fields = ["invoice__number", "credit_note__number"]


@admin.register(Refund)
class RefundAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "payment", "amount", "reason", "actor"]
    list_select_related = ["payment__customer"]


# --- Billing runs, settings, dunning -----------------------------------------------------------


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
            run = billing_run_request()
        except (DomainError, ValidationError) as error:
            self.message_user(request, f"Could not start: {error_text(error)}", messages.ERROR)
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
class BillingSettingsAdmin(AuditedAdmin):
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
class DunningStepAdmin(AuditedAdmin):
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
