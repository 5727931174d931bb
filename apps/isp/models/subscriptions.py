from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from apps.core.encryption import BlindIndexField, EncryptedCharField
from apps.core.money import MoneyField, non_negative
from apps.isp.models.customers import Customer
from apps.isp.models.plans import ServicePlan

__all__ = ["Service", "ServicePlanChange"]


class Service(models.Model):
    """A customer's subscription to a service plan at an install address: what gets billed
    period after period, and what the network side will provision."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"  # ordered, not yet installed: not billed
        ACTIVE = "active", "Active"
        SUSPENDED = "suspended", "Suspended"  # still billed; cut off (dunning or by hand)
        TERMINATED = "terminated", "Terminated"

    class SuspensionReason(models.TextChoices):
        MANUAL = "manual", "By staff"
        DUNNING = "dunning", "Unpaid balance"  # lifted automatically once the balance is paid

    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="services")
    plan = models.ForeignKey(ServicePlan, on_delete=models.PROTECT, related_name="services")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    activated_on = models.DateField(null=True, blank=True)
    terminated_on = models.DateField(
        null=True, blank=True, help_text="Last day of service (inclusive)."
    )
    billed_until = models.DateField(
        null=True,
        blank=True,
        editable=False,
        help_text="Last day (inclusive) covered by an invoice; the next period starts the day "
        "after. Kept by the billing engine.",
    )
    suspended_at = models.DateTimeField(null=True, blank=True, editable=False)
    suspension_reason = models.CharField(
        max_length=10, choices=SuspensionReason.choices, blank=True, editable=False
    )
    # The install address is encrypted at rest (apps.core.encryption); services are found by
    # postcode (exact, spaces and case aside) through its blind index.
    install_street = EncryptedCharField("install address", max_length=200, blank=True)
    install_city = EncryptedCharField(max_length=100, blank=True)
    install_postcode = EncryptedCharField(max_length=20, blank=True)
    install_postcode_hash = BlindIndexField(source="install_postcode", normaliser="postcode")
    install_country = models.CharField(max_length=2, blank=True)
    price_override = MoneyField(
        null=True,
        blank=True,
        default=None,
        validators=[non_negative],
        help_text="Net price per period instead of the plan's (empty: the plan's price).",
    )
    discount_percent = models.DecimalField(
        "discount (%)",
        max_digits=5,
        decimal_places=2,
        default=0,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["customer", "id"]
        indexes = [
            models.Index(fields=["status", "billed_until"]),
            models.Index(fields=["customer", "status"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(discount_percent__gte=0, discount_percent__lte=100),
                name="isp_service_discount_range",
            ),
            models.CheckConstraint(
                condition=models.Q(terminated_on__isnull=True)
                | models.Q(activated_on__isnull=True)
                | models.Q(terminated_on__gte=models.F("activated_on")),
                name="isp_service_terminates_after_activation",
            ),
        ]

    def __str__(self):
        return f"{self.plan} for {self.customer.name}"


class ServicePlanChange(models.Model):
    """One change of a service's plan: from which plan to which, from when, and what the
    proration credited and charged."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="plan_changes")
    from_plan = models.ForeignKey(ServicePlan, on_delete=models.PROTECT, related_name="+")
    to_plan = models.ForeignKey(ServicePlan, on_delete=models.PROTECT, related_name="+")
    effective_on = models.DateField()
    credited = MoneyField(help_text="Net credit for the unused part of the old plan.")
    charged = MoneyField(help_text="Net charge for the rest of the period on the new plan.")
    actor = models.CharField(max_length=150, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-effective_on", "-id"]

    def __str__(self):
        return f"{self.from_plan} → {self.to_plan} on {self.effective_on}"
