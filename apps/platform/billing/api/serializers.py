from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

from apps.platform.billing.models import BillingAccount, Invoice, InvoiceLine, Payment


@extend_schema_serializer(component_name="PlatformBillingAccount")
class BillingAccountSerializer(serializers.ModelSerializer):
    tenant = serializers.CharField(source="tenant.slug", read_only=True)
    has_payment_method = serializers.BooleanField(read_only=True)

    class Meta:
        model = BillingAccount
        fields = ["id", "tenant", "email", "address", "tax_id", "currency", "tax_rate",
                  "card_last4", "has_payment_method", "credit_balance", "created_at"]  # fmt: skip
        read_only_fields = ["currency", "tax_rate", "card_last4", "credit_balance", "created_at"]


class AccountUpdateSerializer(serializers.Serializer):
    """What a tenant's super admin may change: contact and tax id, and the card on file."""

    email = serializers.EmailField(required=False, allow_blank=True)
    address = serializers.CharField(required=False, allow_blank=True, max_length=500)
    tax_id = serializers.CharField(required=False, allow_blank=True, max_length=40)
    card_number = serializers.CharField(required=False, max_length=30, write_only=True)


@extend_schema_serializer(component_name="PlatformInvoiceLine")
class InvoiceLineSerializer(serializers.ModelSerializer):
    class Meta:
        model = InvoiceLine
        fields = ["kind", "description", "app_key", "period_start", "period_end", "quantity",
                  "amount"]  # fmt: skip


@extend_schema_serializer(component_name="PlatformInvoice")
class InvoiceSerializer(serializers.ModelSerializer):
    number = serializers.CharField(source="display_number", read_only=True)
    tenant = serializers.CharField(source="account.tenant.slug", read_only=True)
    lines = InvoiceLineSerializer(many=True, read_only=True)

    class Meta:
        model = Invoice
        fields = ["id", "number", "tenant", "kind", "period_start", "period_end", "issued_on",
                  "due_on", "status", "currency", "subtotal", "credit_applied", "tax_rate", "tax",
                  "total", "amount_paid", "amount_refunded", "attempts", "next_retry_on",
                  "paid_at", "lines"]  # fmt: skip


@extend_schema_serializer(component_name="PlatformPayment")
class PaymentSerializer(serializers.ModelSerializer):
    invoice = serializers.CharField(source="invoice.display_number", read_only=True)
    tenant = serializers.CharField(source="account.tenant.slug", read_only=True)

    class Meta:
        model = Payment
        fields = ["id", "invoice", "tenant", "amount", "status", "hard_decline", "reference",
                  "failure_reason", "refunded", "attempted_at"]  # fmt: skip


class PayInput(serializers.Serializer):
    card_number = serializers.CharField(required=False, max_length=30)


@extend_schema_serializer(component_name="PlatformUpcomingLine")
class UpcomingLineSerializer(serializers.Serializer):
    kind = serializers.CharField()
    description = serializers.CharField()
    app = serializers.CharField()
    period_start = serializers.DateField()
    period_end = serializers.DateField()
    amount = serializers.DecimalField(max_digits=14, decimal_places=2)


@extend_schema_serializer(component_name="PlatformUpcoming")
class UpcomingSerializer(serializers.Serializer):
    period_start = serializers.DateField()
    period_end = serializers.DateField()
    currency = serializers.CharField()
    lines = UpcomingLineSerializer(many=True)
    subtotal = serializers.DecimalField(max_digits=14, decimal_places=2)
    credit_applied = serializers.DecimalField(max_digits=14, decimal_places=2)
    tax = serializers.DecimalField(max_digits=14, decimal_places=2)
    total = serializers.DecimalField(max_digits=14, decimal_places=2)
