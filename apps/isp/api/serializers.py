"""ISP API serializers: resources as clients see them, and the inputs of the named actions.

Amounts are JSON strings with two decimals ("12.50", never floats), each next to its currency:
documents (invoices, credit notes, payments) carry their own; balances and prices are in the
tenant's billing currency.
"""

from decimal import Decimal

from django.utils import timezone
from rest_framework import serializers

from apps.core.api.serializers import ModelSerializer
from apps.identity.models import User
from apps.isp.api.base import CurrencyField
from apps.isp.models import (
    Allocation,
    BillingRun,
    CreditNote,
    CreditNoteLine,
    Customer,
    CustomerContact,
    DunningStep,
    Invoice,
    InvoiceLine,
    Payment,
    Refund,
    Service,
    ServicePlan,
    ServicePlanChange,
    TaxClass,
    TimelineEvent,
)
from apps.isp.models.billing import LineKind
from apps.isp.services.customers import EDITABLE_FIELDS
from apps.isp.services.subscriptions import SERVICE_FIELDS

MONEY = {"max_digits": 14, "decimal_places": 2}

# --- Customers ---------------------------------------------------------------------------------


class CustomerSerializer(ModelSerializer):
    currency = CurrencyField(help_text="Currency of the balance (the tenant's billing currency).")
    portal_username = serializers.CharField(
        source="user.username", read_only=True, default=None, allow_null=True
    )

    class Meta:
        model = Customer
        fields = [
            "id",
            "account_number",
            *EDITABLE_FIELDS,
            "status",
            "balance",
            "currency",
            "user",
            "portal_username",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "account_number",
            "status",
            "balance",
            "user",
            "created_at",
            "updated_at",
        ]


class CustomerStatusSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Customer.Status.choices)
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class NoteSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=300)


class LinkUserSerializer(serializers.Serializer):
    user = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.all(),
        allow_null=True,
        help_text="The tenant user who signs in to the portal as this customer (null unlinks).",
    )


class TimelineEventSerializer(ModelSerializer):
    class Meta:
        model = TimelineEvent
        fields = ["id", "kind", "message", "data", "actor", "created_at"]
        read_only_fields = fields


class StatementQuerySerializer(serializers.Serializer):
    start = serializers.DateField(required=False, help_text="Default: a year before `end`.")
    end = serializers.DateField(required=False, help_text="Default: today.")

    def validate(self, attrs):
        attrs.setdefault("end", timezone.localdate())
        attrs.setdefault("start", attrs["end"].replace(year=attrs["end"].year - 1))
        if attrs["start"] > attrs["end"]:
            raise serializers.ValidationError({"start": "The start must not be after the end."})
        return attrs


class StatementEntrySerializer(serializers.Serializer):
    date = serializers.DateField()
    kind = serializers.CharField()
    number = serializers.CharField()
    description = serializers.CharField()
    debit = serializers.DecimalField(**MONEY)
    credit = serializers.DecimalField(**MONEY)
    balance = serializers.DecimalField(**MONEY)


class StatementSerializer(serializers.Serializer):
    customer = serializers.IntegerField(source="customer_id")
    start = serializers.DateField()
    end = serializers.DateField()
    currency = serializers.CharField()
    opening_balance = serializers.DecimalField(**MONEY)
    entries = StatementEntrySerializer(many=True)
    closing_balance = serializers.DecimalField(**MONEY)


class CustomerContactSerializer(ModelSerializer):
    class Meta:
        model = CustomerContact
        fields = ["id", "customer", "name", "role", "email", "phone"]

    def validate_customer(self, customer):
        if self.instance is not None and customer != self.instance.customer:
            raise serializers.ValidationError("A contact cannot move to another customer.")
        return customer


# --- Plans and tax -----------------------------------------------------------------------------


class TaxClassSerializer(ModelSerializer):
    class Meta:
        model = TaxClass
        fields = ["id", "code", "name", "rate", "is_default"]


class ServicePlanSerializer(ModelSerializer):
    currency = CurrencyField(help_text="Currency of the price and setup fee.")
    tax_rate = serializers.DecimalField(
        source="tax_class.rate", read_only=True, max_digits=5, decimal_places=2
    )

    class Meta:
        model = ServicePlan
        fields = [
            "id",
            "code",
            "name",
            "description",
            "download_mbps",
            "upload_mbps",
            "burst_download_mbps",
            "burst_upload_mbps",
            "data_cap_gb",
            "fair_use_policy",
            "price",
            "setup_fee",
            "currency",
            "billing_period",
            "tax_class",
            "tax_rate",
            "status",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["status", "created_at", "updated_at"]


# --- Services ----------------------------------------------------------------------------------


class ServicePlanChangeSerializer(ModelSerializer):
    class Meta:
        model = ServicePlanChange
        fields = [
            "id",
            "from_plan",
            "to_plan",
            "effective_on",
            "credited",
            "charged",
            "actor",
            "created_at",
        ]
        read_only_fields = fields


class ServiceSerializer(ModelSerializer):
    currency = CurrencyField(help_text="Currency of the prices.")
    plan_name = serializers.CharField(source="plan.name", read_only=True)
    customer_name = serializers.CharField(source="customer.name", read_only=True)
    plan_changes = ServicePlanChangeSerializer(many=True, read_only=True)

    class Meta:
        model = Service
        fields = [
            "id",
            "customer",
            "customer_name",
            "plan",
            "plan_name",
            "status",
            "activated_on",
            "terminated_on",
            "billed_until",
            "suspended_at",
            "suspension_reason",
            *SERVICE_FIELDS,  # editable after the order; the rest moves by actions
            "currency",
            "plan_changes",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "status",
            "activated_on",
            "terminated_on",
            "billed_until",
            "suspended_at",
            "suspension_reason",
            "created_at",
            "updated_at",
        ]

    def validate(self, attrs):
        if self.instance is not None:
            for name in ("customer", "plan"):
                if name in attrs and attrs[name] != getattr(self.instance, name):
                    hint = "use change-plan" if name == "plan" else "order a new service"
                    raise serializers.ValidationError({name: f"Cannot be changed here: {hint}."})
                attrs.pop(name, None)
        elif attrs["plan"].status != ServicePlan.Status.ACTIVE:
            raise serializers.ValidationError({"plan": "This plan is retired: not sold any more."})
        return attrs


class ServiceDateSerializer(serializers.Serializer):
    on = serializers.DateField(
        required=False, allow_null=True, default=None, help_text="Default: today."
    )


class ChangePlanSerializer(ServiceDateSerializer):
    plan = serializers.PrimaryKeyRelatedField(
        queryset=ServicePlan.objects.filter(status=ServicePlan.Status.ACTIVE)
    )


# --- Documents ---------------------------------------------------------------------------------

LINE_FIELDS = [
    "id",
    "kind",
    "description",
    "service",
    "period_start",
    "period_end",
    "amount",
    "tax_rate",
    "tax_amount",
]


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
        fields = [
            "id",
            "invoice",
            "invoice_number",
            "payment",
            "credit_note",
            "amount",
            "created_at",
        ]
        read_only_fields = fields


DOCUMENT_FIELDS = [
    "id",
    "number",
    "customer",
    "customer_name",
    "account_number",
    "currency",
    "subtotal",
    "tax_total",
    "total",
    "issue_date",
]


class InvoiceSerializer(ModelSerializer):
    customer_name = serializers.CharField(source="customer.name", read_only=True)
    account_number = serializers.CharField(source="customer.account_number", read_only=True)
    is_overdue = serializers.SerializerMethodField()
    lines = InvoiceLineSerializer(many=True, read_only=True)

    class Meta:
        model = Invoice
        fields = [
            *DOCUMENT_FIELDS,
            "due_date",
            "status",
            "amount_due",
            "is_overdue",
            "paid_at",
            "billing_run",
            "lines",
            "created_at",
        ]
        read_only_fields = fields

    def get_is_overdue(self, invoice) -> bool:
        return invoice.status == Invoice.Status.OPEN and invoice.due_date < timezone.localdate()


class LineInputSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=LineKind.choices, default=LineKind.ADJUSTMENT)
    description = serializers.CharField(max_length=300)
    amount = serializers.DecimalField(help_text="Net amount.", **MONEY)
    tax_rate = serializers.DecimalField(
        max_digits=5,
        decimal_places=2,
        min_value=0,
        max_value=100,
        required=False,
        help_text="Percent; default: the rate of the default tax class.",
    )
    service = serializers.PrimaryKeyRelatedField(
        queryset=Service.objects.all(), required=False, allow_null=True, default=None
    )
    period_start = serializers.DateField(required=False, allow_null=True, default=None)
    period_end = serializers.DateField(required=False, allow_null=True, default=None)

    def validate(self, attrs):
        if "tax_rate" not in attrs:
            default = TaxClass.objects.filter(is_default=True).values_list("rate", flat=True)
            attrs["tax_rate"] = default.first() or 0
        return attrs


class InvoiceCreateSerializer(serializers.Serializer):
    customer = serializers.PrimaryKeyRelatedField(queryset=Customer.objects.all())
    issue_date = serializers.DateField(required=False, allow_null=True, default=None)
    lines = LineInputSerializer(many=True, allow_empty=False)

    def validate(self, attrs):
        for index, line in enumerate(attrs["lines"]):
            service = line.get("service")
            if service is not None and service.customer_id != attrs["customer"].pk:
                raise serializers.ValidationError(
                    {f"lines.{index}.service": "This service belongs to another customer."}
                )
        return attrs


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
        fields = [
            *DOCUMENT_FIELDS,
            "invoice",
            "invoice_number",
            "reason",
            "amount_unapplied",
            "lines",
            "allocations",
            "created_at",
        ]
        read_only_fields = fields


class CreditNoteCreateSerializer(InvoiceCreateSerializer):
    issue_date = None
    reason = serializers.CharField(max_length=300)
    invoice = serializers.PrimaryKeyRelatedField(
        queryset=Invoice.objects.all(), required=False, allow_null=True, default=None
    )

    def validate(self, attrs):
        attrs = super().validate(attrs)
        invoice = attrs.get("invoice")
        if invoice is not None and invoice.customer_id != attrs["customer"].pk:
            raise serializers.ValidationError(
                {"invoice": "This invoice belongs to another customer."}
            )
        return attrs


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
        fields = [
            "id",
            "customer",
            "customer_name",
            "amount",
            "currency",
            "method",
            "status",
            "received_on",
            "reference",
            "gateway",
            "gateway_reference",
            "failure_reason",
            "amount_unallocated",
            "amount_refunded",
            "allocations",
            "refunds",
            "actor",
            "created_at",
        ]
        read_only_fields = fields


class PaymentRecordSerializer(serializers.Serializer):
    customer = serializers.PrimaryKeyRelatedField(queryset=Customer.objects.all())
    amount = serializers.DecimalField(min_value=Decimal("0.01"), **MONEY)
    method = serializers.ChoiceField(
        choices=Payment.Method.choices,
        help_text="Money received outside the gateway (a card through the gateway: "
        "invoices/{id}/pay/).",
    )
    received_on = serializers.DateField(required=False, allow_null=True, default=None)
    reference = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")


class RefundInputSerializer(serializers.Serializer):
    amount = serializers.DecimalField(min_value=Decimal("0.01"), **MONEY)
    reason = serializers.CharField(max_length=300)


class CardSerializer(serializers.Serializer):
    card_number = serializers.CharField(
        max_length=23,
        help_text="Sandbox gateway: 4242 4242 4242 4242 succeeds, 4000 0000 0000 0002 is declined.",
    )


# --- Billing runs and dunning -----------------------------------------------------------------


class BillingRunSerializer(ModelSerializer):
    currency = CurrencyField(help_text="Currency of the total invoiced.")

    class Meta:
        model = BillingRun
        fields = [
            "id",
            "as_of",
            "status",
            "triggered_by",
            "task_id",
            "started_at",
            "finished_at",
            "invoices_created",
            "total_invoiced",
            "currency",
            "errors",
            "created_at",
        ]
        read_only_fields = fields


class BillingRunRequestSerializer(serializers.Serializer):
    as_of = serializers.DateField(
        required=False,
        allow_null=True,
        default=None,
        help_text="Invoice periods starting up to this day (default: today).",
    )


class DunningStepSerializer(ModelSerializer):
    class Meta:
        model = DunningStep
        fields = [
            "id",
            "name",
            "days_overdue",
            "action",
            "email_subject",
            "email_body",
            "is_active",
        ]


# --- Portal ------------------------------------------------------------------------------------

#: What customers may change about themselves in the portal.
PORTAL_EDITABLE = [
    "email",
    "phone",
    "billing_street",
    "billing_city",
    "billing_postcode",
    "billing_country",
]


class PortalCustomerSerializer(ModelSerializer):
    currency = CurrencyField()

    class Meta:
        model = Customer
        fields = [
            "id",
            "account_number",
            "kind",
            "name",
            *PORTAL_EDITABLE,
            "service_street",
            "service_city",
            "service_postcode",
            "service_country",
            "status",
            "balance",
            "currency",
        ]
        read_only_fields = [
            "account_number",
            "kind",
            "name",
            "service_street",
            "service_city",
            "service_postcode",
            "service_country",
            "status",
            "balance",
        ]


class PortalServiceSerializer(ModelSerializer):
    plan_name = serializers.CharField(source="plan.name", read_only=True)
    download_mbps = serializers.IntegerField(source="plan.download_mbps", read_only=True)
    upload_mbps = serializers.IntegerField(source="plan.upload_mbps", read_only=True)

    class Meta:
        model = Service
        fields = [
            "id",
            "plan_name",
            "download_mbps",
            "upload_mbps",
            "status",
            "activated_on",
            "terminated_on",
            "install_street",
            "install_city",
            "install_postcode",
        ]
        read_only_fields = fields


class PortalPaymentSerializer(ModelSerializer):
    class Meta:
        model = Payment
        fields = [
            "id",
            "amount",
            "currency",
            "method",
            "status",
            "received_on",
            "reference",
            "failure_reason",
            "created_at",
        ]
        read_only_fields = fields
