"""The platform console's bill: invoices, payments (failed ones filtered at a click), billing
accounts, and the revenue page (MRR, ARR and churn by app, invoiced by month, failed payments).
Read-only here: invoices are written by billing runs and changes, payments by collection."""

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path

from apps.core.kit.admin import ReadOnlyAdmin, ReadOnlyInline
from apps.platform.billing import documents, selectors
from apps.platform.billing.models import BillingAccount, Invoice, InvoiceLine, Payment
from apps.platform.console import status_badge


class InvoiceLineInline(ReadOnlyInline):
    model = InvoiceLine
    fields = ["description", "kind", "period_start", "period_end", "quantity", "amount"]


@admin.register(Invoice)
class InvoiceAdmin(ReadOnlyAdmin):
    list_display = ["display_number", "tenant", "kind", "period_start", "period_end", "badge",
                    "total", "amount_paid", "amount_refunded", "due_on"]  # fmt: skip
    list_filter = ["status", "kind", "period_start"]
    search_fields = ["account__tenant__name", "account__tenant__slug", "=number"]
    list_select_related = ["account__tenant"]
    date_hierarchy = "issued_on"
    inlines = [InvoiceLineInline]
    list_per_page = 50

    @admin.display(description="tenant", ordering="account__tenant__name")
    def tenant(self, invoice):
        return invoice.account.tenant.name

    @admin.display(description="status", ordering="status")
    def badge(self, invoice):
        tone = {"paid": "active", "open": "past_due", "uncollectible": "failed"}
        return status_badge(tone.get(invoice.status, "cancelled"), invoice.get_status_display())

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("revenue/", wrap(self.revenue_view), name="billing_invoice_revenue"),
            path("<int:pk>/pdf/", wrap(self.pdf_view), name="billing_invoice_pdf"),
            *super().get_urls(),
        ]

    def pdf_view(self, request, pk: int):
        if not self.has_view_permission(request):
            raise PermissionDenied
        invoice = get_object_or_404(Invoice.objects.select_related("account__tenant"), pk=pk)
        return documents.pdf_response(invoice)

    def revenue_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "title": "Revenue",
            "opts": self.opts,
            "churn_days": selectors.CHURN_DAYS,
            **selectors.console_overview(),
        }
        return TemplateResponse(request, "admin/billing/revenue.html", context)


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    list_display = ["attempted_at", "tenant", "invoice", "amount", "status", "hard_decline",
                    "failure_reason", "refunded"]  # fmt: skip
    list_filter = ["status", "hard_decline"]
    search_fields = ["account__tenant__name", "account__tenant__slug", "reference"]
    list_select_related = ["account__tenant", "invoice"]
    list_per_page = 50

    @admin.display(description="tenant", ordering="account__tenant__name")
    def tenant(self, payment):
        return payment.account.tenant.name


@admin.register(BillingAccount)
class BillingAccountAdmin(ReadOnlyAdmin):
    list_display = ["tenant", "email", "currency", "tax_rate", "card_last4", "credit_balance"]
    search_fields = ["tenant__name", "tenant__slug", "email"]
    list_select_related = ["tenant"]
    exclude = ["payment_token", "address", "tax_id"]
