"""Documents and money: invoices, credit notes, payments, refunds, and their inputs."""

from decimal import Decimal

from django.utils import timezone
from rest_framework import serializers

from apps.core.api.serializers import MONEY, DateField, ModelSerializer
from apps.isp.models import (
    Allocation,
    CreditNote,
    CreditNoteLine,
    Customer,
    Invoice,
    InvoiceLine,
    Payment,
    Refund,
    Service,
)
from apps.isp.models.billing import LineKind
from apps.isp.services.billing import LineDraft

__all__ = [
    "AllocationSerializer",
    "CardSerializer",
    "CreditNoteCreateSerializer",
    "CreditNoteSerializer",
    "InvoiceCreateSerializer",
    "InvoiceSerializer",
    "PaymentRecordSerializer",
    "PaymentSerializer",
    "RefundInputSerializer",
    "RefundSerializer",
]

LINE_FIELDS = ["id", "kind", "description", "service", "period_start", "period_end", "amount",
               "tax_rate", "tax_amount"]  # fmt: skip
DOCUMENT_FIELDS = ["id", "number", "customer", "customer_name", "account_number", "currency",
                   "subtotal", "tax_total", "total", "issue_date"]  # fmt: skip


class InvoiceLineSerializer(ModelSerializer):
    class Meta:
        model = InvoiceLine
        fields = LINE_FIELDS
        read_only_fields = fields


class CreditNoteLineSerializer(ModelSerializer):
    class Meta:
        model = CreditNoteLine
        fields = LINE_FIELDS
        read_only_fields = fields


class AllocationSerializer(ModelSerializer):
    invoice_number = serializers.CharField(source="invoice.number", read_only=True)

    class Meta:
        model = Allocation
        fields = ["id", "invoice", "invoice_number", "payment", "credit_note", "amount",
                  "created_at"]  # fmt: skip
        read_only_fields = fields


class InvoiceSerializer(ModelSerializer):
    customer_name = serializers.CharField(source="customer.name", read_only=True)
    account_number = serializers.CharField(source="customer.account_number", read_only=True)
    is_overdue = serializers.SerializerMethodField()
    lines = InvoiceLineSerializer(many=True, read_only=True)

    class Meta:
        model = Invoice
        fields = [*DOCUMENT_FIELDS, "due_date", "status", "amount_due", "is_overdue", "paid_at",
                  "billing_run", "lines", "created_at"]  # fmt: skip
        read_only_fields = fields

    def get_is_overdue(self, invoice) -> bool:
        return invoice.status == Invoice.Status.OPEN and invoice.due_date < timezone.localdate()


class LineInputSerializer(serializers.Serializer):
    """One line of a document issued by hand, as the billing services take it (a LineDraft)."""

    kind = serializers.ChoiceField(choices=LineKind.choices, default=LineKind.ADJUSTMENT)
    description = serializers.CharField(max_length=300)
    amount = serializers.DecimalField(help_text="Net amount.", **MONEY)
    tax_rate = serializers.DecimalField(
        max_digits=5, decimal_places=2, min_value=0, max_value=100, required=False,
        allow_null=True, default=None,
        help_text="Percent; default: the rate of the default tax class.",
    )  # fmt: skip
    service = serializers.PrimaryKeyRelatedField(
        queryset=Service.objects.all(), required=False, allow_null=True, default=None
    )
    period_start = DateField(required=False, allow_null=True, default=None)
    period_end = DateField(required=False, allow_null=True, default=None)

    def to_internal_value(self, data) -> LineDraft:
        return LineDraft(**super().to_internal_value(data))


class InvoiceCreateSerializer(serializers.Serializer):
    customer = serializers.PrimaryKeyRelatedField(queryset=Customer.objects.all())
    issue_date = DateField(required=False, allow_null=True, default=None)
    lines = LineInputSerializer(many=True, allow_empty=False)


class CreditNoteSerializer(ModelSerializer):
    customer_name = serializers.CharField(source="customer.name", read_only=True)
    account_number = serializers.CharField(source="customer.account_number", read_only=True)
    invoice_number = serializers.CharField(
        source="invoice.number", read_only=True, default=None, allow_null=True
    )
    lines = CreditNoteLineSerializer(many=True, read_only=True)
    allocations = AllocationSerializer(many=True, read_only=True)

    class Meta:
        model = CreditNote
        fields = [*DOCUMENT_FIELDS, "invoice", "invoice_number", "reason", "amount_unapplied",
                  "lines", "allocations", "created_at"]  # fmt: skip
        read_only_fields = fields


class CreditNoteCreateSerializer(serializers.Serializer):
    customer = serializers.PrimaryKeyRelatedField(queryset=Customer.objects.all())
    reason = serializers.CharField(max_length=300)
    invoice = serializers.PrimaryKeyRelatedField(
        queryset=Invoice.objects.all(), required=False, allow_null=True, default=None
    )
    lines = LineInputSerializer(many=True, allow_empty=False)


class RefundSerializer(ModelSerializer):
    class Meta:
        model = Refund
        fields = ["id", "amount", "reason", "gateway_reference", "actor", "created_at"]
        read_only_fields = fields


class PaymentSerializer(ModelSerializer):
    customer_name = serializers.CharField(source="customer.name", read_only=True)
    allocations = AllocationSerializer(many=True, read_only=True)
    refunds = RefundSerializer(many=True, read_only=True)

    class Meta:
        model = Payment
        fields = ["id", "customer", "customer_name", "amount", "currency", "method", "status",
                  "received_on", "reference", "gateway", "gateway_reference", "failure_reason",
                  "amount_unallocated", "amount_refunded", "allocations", "refunds", "actor",
                  "created_at"]  # fmt: skip
        read_only_fields = fields


class PaymentRecordSerializer(serializers.Serializer):
    customer = serializers.PrimaryKeyRelatedField(queryset=Customer.objects.all())
    amount = serializers.DecimalField(min_value=Decimal("0.01"), **MONEY)
    method = serializers.ChoiceField(
        choices=Payment.Method.choices,
        help_text="Money received outside the gateway (a card through the gateway: "
        "invoices/{id}/pay/).",
    )
    received_on = DateField(required=False, allow_null=True, default=None)
    reference = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")


class RefundInputSerializer(serializers.Serializer):
    amount = serializers.DecimalField(min_value=Decimal("0.01"), **MONEY)
    reason = serializers.CharField(max_length=300)


class CardSerializer(serializers.Serializer):
    card_number = serializers.CharField(
        max_length=23,
        help_text="Sandbox gateway: 4242 4242 4242 4242 succeeds, 4000 0000 0000 0002 is declined.",
    )
