from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import (
    BigIntegerRangeField,
    DateRangeField,
    RangeBoundary,
    RangeOperators,
)
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Func, Q

from apps.core.encryption import EncryptedCharField
from apps.core.money import MoneyField
from apps.isp.models.customers import Customer
from apps.isp.models.subscriptions import Service, ServicePlanChange

__all__ = [
    "Allocation",
    "BillingRun",
    "BillingSettings",
    "CreditNote",
    "CreditNoteLine",
    "DocumentSequence",
    "Invoice",
    "InvoiceLine",
    "LineKind",
    "Payment",
    "Refund",
]


class BillingSettings(models.Model):
    """The tenant's billing configuration (one row): numbering, payment terms, the company on
    its invoices. Amounts are in the organisation's currency (apps.core.kit.organisation)."""

    invoice_prefix = models.CharField(max_length=10, default="INV-")
    credit_note_prefix = models.CharField(max_length=10, default="CN-")
    payment_terms_days = models.PositiveSmallIntegerField(
        default=14, validators=[MaxValueValidator(120)], help_text="Days from issue to due date."
    )
    company_name = models.CharField(max_length=200, blank=True, help_text="Shown on invoices.")
    company_address = models.TextField(blank=True, help_text="Shown on invoices.")
    company_tax_id = EncryptedCharField("tax id", max_length=50, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "billing settings"
        constraints = [models.CheckConstraint(condition=Q(id=1), name="isp_billing_settings_one")]

    def __str__(self):
        return "Billing settings"


class DocumentSequence(models.Model):
    """A gapless number sequence ("invoice", "credit_note", "customer"). Taken under a row lock
    inside the transaction that creates the document, so a rollback also returns the number."""

    key = models.SlugField(max_length=30, unique=True)
    next_number = models.PositiveBigIntegerField(default=1)

    def __str__(self):
        return f"{self.key}: next {self.next_number}"


class DocumentTotals(models.Model):
    """Totals shared by invoices and credit notes."""

    currency = models.CharField(max_length=3)
    subtotal = MoneyField(help_text="Net amount.")
    tax_total = MoneyField()
    total = MoneyField(help_text="Net amount plus tax.")
    issue_date = models.DateField(db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        abstract = True


class Invoice(DocumentTotals):
    """A bill sent to a customer: numbered without gaps, never deleted (corrected by credit
    notes). `amount_due` falls as payments and credit notes are allocated to it."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        PAID = "paid", "Paid"
        VOID = "void", "Void"  # fully cancelled by a credit note

    number = models.CharField(max_length=30, unique=True)
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="invoices")
    status = models.CharField(max_length=5, choices=Status.choices, default=Status.OPEN)
    due_date = models.DateField(db_index=True)
    amount_due = MoneyField(help_text="What remains to be paid.")
    paid_at = models.DateTimeField(null=True, blank=True)
    billing_run = models.ForeignKey(
        "BillingRun", on_delete=models.SET_NULL, null=True, blank=True, related_name="invoices"
    )

    class Meta:
        ordering = ["-issue_date", "-id"]
        indexes = [
            models.Index(fields=["customer", "status"]),
            models.Index(fields=["status", "due_date"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount_due__gte=0, amount_due__lte=models.F("total")),
                name="isp_invoice_amount_due_range",
            ),
            models.CheckConstraint(
                condition=Q(total=models.F("subtotal") + models.F("tax_total")),
                name="isp_invoice_total_is_net_plus_tax",
            ),
        ]

    def __str__(self):
        return self.number


class LineKind(models.TextChoices):
    SERVICE = "service", "Service period"  # a period of a service (the first one may be partial)
    SETUP = "setup", "Setup fee"
    PLAN_CHANGE = "plan_change", "Plan change"
    TERMINATION = "termination", "Termination"
    ADJUSTMENT = "adjustment", "Adjustment"


class DocumentLine(models.Model):
    """A line of an invoice or credit note: net amount, the tax rate then in force, its tax."""

    kind = models.CharField(max_length=12, choices=LineKind.choices)
    description = models.CharField(max_length=300)
    service = models.ForeignKey(
        Service, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    plan_change = models.ForeignKey(
        ServicePlanChange, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    period_start = models.DateField(null=True, blank=True)
    period_end = models.DateField(null=True, blank=True, help_text="Inclusive.")
    amount = MoneyField(help_text="Net amount.")
    tax_rate = models.DecimalField(
        "tax rate (%)",
        max_digits=5,
        decimal_places=2,
        default=0,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    tax_amount = MoneyField()

    class Meta:
        abstract = True

    def __str__(self):
        return self.description


class InvoiceLine(DocumentLine):
    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    service = models.ForeignKey(
        Service, on_delete=models.PROTECT, null=True, blank=True, related_name="invoice_lines"
    )

    class Meta:
        ordering = ["invoice", "id"]
        constraints = [
            # The billing engine's idempotency, held by the database: a service is charged at
            # most once for any day, whatever reruns, retries or concurrent workers attempt.
            ExclusionConstraint(
                name="isp_service_periods_never_overlap",
                expressions=[
                    # The service id as the one-value range [id, id]: "same service" is then a
                    # range overlap too, which GiST indexes natively. (Plain equality on an
                    # integer would need the btree_gist extension, which not every PostgreSQL
                    # ships — the embedded one of `make run` does not.)
                    (
                        Func(
                            F("service"),
                            F("service"),
                            RangeBoundary(inclusive_lower=True, inclusive_upper=True),
                            function="int8range",
                            output_field=BigIntegerRangeField(),
                        ),
                        RangeOperators.OVERLAPS,
                    ),
                    (
                        Func(
                            "period_start",
                            "period_end",
                            RangeBoundary(inclusive_lower=True, inclusive_upper=True),
                            function="daterange",
                            output_field=DateRangeField(),
                        ),
                        RangeOperators.OVERLAPS,
                    ),
                ],
                condition=Q(kind=LineKind.SERVICE),
            ),
            models.UniqueConstraint(
                fields=["service"], condition=Q(kind=LineKind.SETUP), name="isp_one_setup_fee"
            ),
            models.CheckConstraint(
                condition=~Q(kind=LineKind.SERVICE)
                | Q(
                    service__isnull=False,
                    period_start__isnull=False,
                    period_end__gte=models.F("period_start"),
                ),
                name="isp_service_line_has_period",
            ),
        ]


class CreditNote(DocumentTotals):
    """A correction in the customer's favour (unused days of a terminated or changed service, a
    goodwill gesture): numbered without gaps, allocated to open invoices or kept as credit."""

    number = models.CharField(max_length=30, unique=True)
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="credit_notes")
    invoice = models.ForeignKey(
        Invoice,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="credit_notes",
        help_text="The invoice this note corrects, if any.",
    )
    reason = models.CharField(max_length=300)
    amount_unapplied = MoneyField(help_text="Part not yet allocated to an invoice.")

    class Meta:
        ordering = ["-issue_date", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount_unapplied__gte=0, amount_unapplied__lte=models.F("total")),
                name="isp_credit_note_unapplied_range",
            ),
        ]

    def __str__(self):
        return self.number


class CreditNoteLine(DocumentLine):
    credit_note = models.ForeignKey(CreditNote, on_delete=models.CASCADE, related_name="lines")

    class Meta:
        ordering = ["credit_note", "id"]


class Payment(models.Model):
    """Money received from a customer (or a failed attempt to take it by card). The part not
    allocated to invoices is credit on the account."""

    class Method(models.TextChoices):
        CASH = "cash", "Cash"
        BANK_TRANSFER = "bank_transfer", "Bank transfer"
        CARD = "card", "Card"

    class Status(models.TextChoices):
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="payments")
    amount = MoneyField()
    currency = models.CharField(max_length=3)
    method = models.CharField(max_length=15, choices=Method.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SUCCEEDED)
    received_on = models.DateField(db_index=True)
    reference = models.CharField(max_length=100, blank=True, help_text="Bank or receipt reference.")
    gateway = models.CharField(max_length=30, blank=True)
    gateway_reference = models.CharField(max_length=100, blank=True)
    failure_reason = models.CharField(max_length=200, blank=True)
    amount_unallocated = MoneyField(help_text="Credit left after allocation to invoices.")
    amount_refunded = MoneyField()
    actor = models.CharField(max_length=150, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-received_on", "-id"]
        indexes = [models.Index(fields=["customer", "status"])]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="isp_payment_amount_gt_0"),
            models.CheckConstraint(
                condition=Q(amount_unallocated__gte=0)
                & Q(amount_refunded__gte=0)
                & Q(amount_unallocated__lte=models.F("amount") - models.F("amount_refunded")),
                name="isp_payment_amounts_consistent",
            ),
            models.UniqueConstraint(
                fields=["gateway", "gateway_reference"],
                condition=~Q(gateway_reference=""),
                name="isp_payment_gateway_reference_once",
            ),
        ]

    def __str__(self):
        return f"{self.get_method_display()} {self.amount} {self.currency} on {self.received_on}"


class Allocation(models.Model):
    """Part of a payment or of a credit note settling part of an invoice."""

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="allocations")
    payment = models.ForeignKey(
        Payment, on_delete=models.PROTECT, null=True, blank=True, related_name="allocations"
    )
    credit_note = models.ForeignKey(
        CreditNote, on_delete=models.PROTECT, null=True, blank=True, related_name="allocations"
    )
    amount = MoneyField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="isp_allocation_amount_gt_0"),
            models.CheckConstraint(
                condition=Q(payment__isnull=False, credit_note__isnull=True)
                | Q(payment__isnull=True, credit_note__isnull=False),
                name="isp_allocation_has_one_source",
            ),
        ]

    def __str__(self):
        return f"{self.amount} to {self.invoice}"


class Refund(models.Model):
    """Money given back from a payment (of its unallocated credit)."""

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds")
    amount = MoneyField()
    reason = models.CharField(max_length=300)
    gateway_reference = models.CharField(max_length=100, blank=True)
    actor = models.CharField(max_length=150, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="isp_refund_amount_gt_0")
        ]

    def __str__(self):
        return f"Refund {self.amount} of {self.payment}"


class BillingRun(models.Model):
    """One run of recurring invoicing for the tenant, up to a date: what it did and how it
    went. A run may be repeated (or run twice at once): it only invoices what is still due."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    as_of = models.DateField(help_text="Services are invoiced for periods starting up to this day.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    triggered_by = models.CharField(max_length=150, blank=True, help_text="A user, or 'schedule'.")
    task_id = models.CharField(max_length=50, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    invoices_created = models.PositiveIntegerField(default=0)
    total_invoiced = MoneyField()
    errors = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"Billing run as of {self.as_of} ({self.get_status_display()})"
