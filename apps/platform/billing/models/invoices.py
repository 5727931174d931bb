from django.db import models

from apps.core.money import MoneyField
from apps.platform.billing.models.accounts import BillingAccount
from apps.platform.licensing.models import Subscription

__all__ = ["BillingRun", "BillingSequence", "Invoice", "InvoiceLine", "Payment"]


class BillingSequence(models.Model):
    """The next number of a gapless series, taken under a row lock in the transaction that
    creates the numbered documents (a rollback gives the numbers back)."""

    key = models.CharField("key", max_length=40, unique=True)
    next_number = models.PositiveBigIntegerField("next number", default=1)

    class Meta:
        verbose_name = "billing sequence"

    def __str__(self) -> str:
        return f"{self.key}: {self.next_number}"


class BillingRun(models.Model):
    """One invoicing of every billing account for a period (a calendar month)."""

    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    period_start = models.DateField("period start", db_index=True)
    status = models.CharField("status", max_length=12, choices=Status.choices, default="running")
    invoices_created = models.PositiveIntegerField("invoices created", default=0)
    shards = models.PositiveSmallIntegerField("workers", default=1)
    shards_done = models.PositiveSmallIntegerField("workers done", default=0)
    started_at = models.DateTimeField("started", auto_now_add=True)
    finished_at = models.DateTimeField("finished", null=True, blank=True)
    errors = models.JSONField("errors", default=list, blank=True)

    class Meta:
        ordering = ["-started_at"]
        verbose_name = "billing run"

    def __str__(self) -> str:
        return f"Run {self.period_start:%Y-%m} ({self.status})"


class Invoice(models.Model):
    """The platform's bill to a tenant: one per period for all its subscriptions (kind
    `period`), or an immediate one (an upgrade's proration, a trial's first stretch)."""

    class Kind(models.TextChoices):
        PERIOD = "period", "Period"
        IMMEDIATE = "immediate", "Immediate"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        PAID = "paid", "Paid"
        UNCOLLECTIBLE = "uncollectible", "Uncollectible"
        VOID = "void", "Void"

    account = models.ForeignKey(BillingAccount, on_delete=models.PROTECT, related_name="invoices")
    number = models.PositiveBigIntegerField("number", unique=True)
    kind = models.CharField("kind", max_length=10, choices=Kind.choices, default=Kind.PERIOD)
    period_start = models.DateField("period start")
    period_end = models.DateField("period end")
    issued_on = models.DateField("issued")
    due_on = models.DateField("due")
    status = models.CharField(
        "status", max_length=14, choices=Status.choices, default=Status.OPEN, db_index=True
    )
    currency = models.CharField("currency", max_length=3, default="USD")
    subtotal = MoneyField("subtotal")
    credit_applied = MoneyField("credit applied")
    tax_rate = models.DecimalField("tax rate (%)", max_digits=5, decimal_places=2, default=0)
    tax = MoneyField("tax")
    total = MoneyField("total")
    amount_paid = MoneyField("paid")
    amount_refunded = MoneyField("refunded")
    paid_at = models.DateTimeField("paid", null=True, blank=True)
    attempts = models.PositiveSmallIntegerField("payment attempts", default=0)
    next_retry_on = models.DateField("next retry", null=True, blank=True, db_index=True)
    billing_run = models.ForeignKey(
        BillingRun, on_delete=models.SET_NULL, null=True, blank=True, related_name="invoices"
    )
    created_at = models.DateTimeField("created", auto_now_add=True)

    class Meta:
        ordering = ["-number"]
        verbose_name = "platform invoice"
        constraints = [
            # One period invoice per account and period, whatever reruns or workers do.
            models.UniqueConstraint(
                fields=["account", "period_start"],
                condition=models.Q(kind="period"),
                name="billing_one_period_invoice",
            ),
            models.CheckConstraint(condition=models.Q(total__gte=0), name="billing_total_gte_0"),
        ]

    def __str__(self) -> str:
        return f"INV-{self.number:06d}"

    @property
    def display_number(self) -> str:
        return f"INV-{self.number:06d}"

    @property
    def balance(self):
        return self.total - self.amount_paid


class InvoiceLine(models.Model):
    """One charge or credit of an invoice. `key` is the line's idempotency key; a recurring
    line is also unique per subscription and period (Lago's duplicate-invoice guard)."""

    class Kind(models.TextChoices):
        RECURRING = "recurring", "Subscription"
        PRORATION_CREDIT = "proration_credit", "Unused time credit"
        PRORATION_CHARGE = "proration_charge", "Remaining time charge"
        SEATS = "seats", "Seat change"
        CREDIT = "credit", "Account credit"

    invoice = models.ForeignKey(
        Invoice, on_delete=models.CASCADE, related_name="lines", null=True, blank=True,
        help_text="Empty while pending: the line goes on the account's next invoice.",
    )  # fmt: skip
    account = models.ForeignKey(BillingAccount, on_delete=models.PROTECT, related_name="+")
    subscription = models.ForeignKey(
        Subscription, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    app_key = models.CharField("app", max_length=20, blank=True)
    kind = models.CharField("kind", max_length=20, choices=Kind.choices)
    key = models.CharField("idempotency key", max_length=120, unique=True)
    description = models.CharField("description", max_length=200)
    period_start = models.DateField("from")
    period_end = models.DateField("to")
    quantity = models.PositiveIntegerField("quantity", default=1)
    amount = models.DecimalField("amount", max_digits=14, decimal_places=2)
    created_at = models.DateTimeField("created", auto_now_add=True)

    class Meta:
        ordering = ["id"]
        verbose_name = "platform invoice line"
        constraints = [
            models.UniqueConstraint(
                fields=["subscription", "period_start"],
                condition=models.Q(kind="recurring"),
                name="billing_line_once_per_subscription_period",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.description}: {self.amount}"


class Payment(models.Model):
    """One attempt to collect an invoice from the card on file, kept whether it succeeded or
    not (the failed-payments list), and its refunds."""

    class Status(models.TextChoices):
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"
        REFUNDED = "refunded", "Refunded"

    account = models.ForeignKey(BillingAccount, on_delete=models.PROTECT, related_name="payments")
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="payments")
    amount = MoneyField("amount")
    status = models.CharField("status", max_length=10, choices=Status.choices, db_index=True)
    hard_decline = models.BooleanField("hard decline", default=False)
    reference = models.CharField("gateway reference", max_length=80, blank=True)
    failure_reason = models.CharField("failure", max_length=200, blank=True)
    refunded = MoneyField("refunded")
    attempted_at = models.DateTimeField("at")

    class Meta:
        ordering = ["-attempted_at", "-id"]
        verbose_name = "platform payment"

    def __str__(self) -> str:
        return f"{self.invoice} · {self.amount} ({self.status})"
