"""Documents and money, read-only (the billing services write them): invoices, credit notes,
payments and their allocations and refunds."""

from django.contrib import admin

from apps.core.kit.admin import ReadOnlyAdmin, ReadOnlyInline
from apps.isp.admin.common import money
from apps.isp.models import (
    Allocation,
    CreditNote,
    CreditNoteLine,
    Invoice,
    InvoiceLine,
    Payment,
    PendingCharge,
    Refund,
)


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


@admin.register(PendingCharge)
class PendingChargeAdmin(ReadOnlyAdmin):
    """Charges of other apps (a project's billable time) waiting for the next billing run."""

    list_display = ["created_at", "customer", "description", "amount", "invoice"]
    list_select_related = ["customer", "invoice"]
    list_filter = [("invoice", admin.EmptyFieldListFilter)]
    search_fields = ["description", "source", "customer__name", "customer__account_number"]
