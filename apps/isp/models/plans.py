from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from apps.core.money import MoneyField, non_negative

__all__ = ["BillingPeriod", "ServicePlan", "TaxClass"]


class TaxClass(models.Model):
    """A tax class with the tenant's rate for it ("Standard 20%", "Exempt 0%"). Plans name a
    class; an invoice line copies the rate in force when it was issued."""

    code = models.SlugField(max_length=30, unique=True, help_text="e.g. standard, reduced, exempt")
    name = models.CharField(max_length=80)
    rate = models.DecimalField(
        "rate (%)",
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text="Percentage applied to the net amount, e.g. 20.00.",
    )
    is_default = models.BooleanField(default=False)

    class Meta:
        ordering = ["code"]
        verbose_name_plural = "tax classes"
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"],
                condition=models.Q(is_default=True),
                name="isp_one_default_tax",
            ),
            models.CheckConstraint(
                condition=models.Q(rate__gte=0, rate__lte=100), name="isp_tax_rate_range"
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.rate}%)"


class BillingPeriod(models.TextChoices):
    MONTHLY = "monthly", "Monthly"
    QUARTERLY = "quarterly", "Quarterly"
    YEARLY = "yearly", "Yearly"

    @property
    def months(self) -> int:
        return {"monthly": 1, "quarterly": 3, "yearly": 12}[self.value]


class ServicePlan(models.Model):
    """An internet service plan the ISP sells: speeds, caps, price and billing period."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        RETIRED = "retired", "Retired"  # kept for the services on it; not sold any more

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    download_mbps = models.PositiveIntegerField("download (Mbit/s)")
    upload_mbps = models.PositiveIntegerField("upload (Mbit/s)")
    burst_download_mbps = models.PositiveIntegerField(
        "burst download (Mbit/s)", null=True, blank=True
    )
    burst_upload_mbps = models.PositiveIntegerField("burst upload (Mbit/s)", null=True, blank=True)
    data_cap_gb = models.PositiveIntegerField(
        "data cap (GB)", null=True, blank=True, help_text="Empty for unlimited."
    )
    fair_use_policy = models.TextField(blank=True)
    fup_download_kbps = models.PositiveIntegerField(
        "download over the cap (kbit/s)",
        null=True,
        blank=True,
        help_text="Speed once the month's data cap is used up (empty: not slowed down).",
    )
    fup_upload_kbps = models.PositiveIntegerField(
        "upload over the cap (kbit/s)", null=True, blank=True
    )
    top_up_price_per_gb = MoneyField(
        "top-up price per GB",
        null=True,
        blank=True,
        default=None,
        validators=[non_negative],
        help_text="Net price of one extra gigabyte bought for the month, invoiced at once "
        "(empty: top-ups are not sold; staff may still grant them).",
    )
    static_ip = models.BooleanField(
        "static IP",
        default=False,
        help_text="Each service gets a fixed address from a static pool when it is activated.",
    )
    price = MoneyField(validators=[non_negative], help_text="Net price per billing period.")
    setup_fee = MoneyField(validators=[non_negative])
    billing_period = models.CharField(
        max_length=10, choices=BillingPeriod.choices, default=BillingPeriod.MONTHLY
    )
    tax_class = models.ForeignKey(TaxClass, on_delete=models.PROTECT, related_name="plans")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["price", "name"]
        constraints = [
            models.CheckConstraint(condition=models.Q(price__gte=0), name="isp_plan_price_gte_0"),
            models.CheckConstraint(
                condition=models.Q(setup_fee__gte=0), name="isp_plan_setup_fee_gte_0"
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def period_months(self) -> int:
        return BillingPeriod(self.billing_period).months
