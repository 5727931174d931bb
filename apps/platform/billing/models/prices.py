from django.db import models

from apps.core.money import MoneyField, non_negative
from apps.platform.catalog.models import Plan
from apps.platform.licensing.models import Subscription

__all__ = ["PlanPrice", "SubscriptionBilling"]


class PlanPrice(models.Model):
    """One version of a plan's price (Kill Bill's catalog versions). A new version applies to
    new subscriptions; existing ones keep the version they hold until moved to another.

    `per_seat`: the amount is per seat, a seat being a user counted by the plan's seat meter
    (`seat_meter`, a usage counter such as "crm.max_users"); `included_seats` are free.
    """

    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="prices")
    version = models.PositiveIntegerField("version")
    amount = MoneyField("amount", validators=[non_negative])
    per_seat = models.BooleanField("per seat", default=False)
    seat_meter = models.CharField("seat meter", max_length=60, blank=True)
    included_seats = models.PositiveIntegerField("included seats", default=0)
    created_at = models.DateTimeField("created", auto_now_add=True)

    class Meta:
        ordering = ["plan_id", "-version"]
        verbose_name = "plan price"
        constraints = [
            models.UniqueConstraint(fields=["plan", "version"], name="billing_price_version"),
            models.CheckConstraint(condition=models.Q(amount__gte=0), name="billing_price_gte_0"),
        ]

    def __str__(self) -> str:
        unit = " per seat" if self.per_seat else ""
        return f"{self.plan} v{self.version}: {self.amount}{unit}"


class SubscriptionBilling(models.Model):
    """The billing side of a subscription: the price version it pays, the seats billed, how far
    it is billed, and a downgrade waiting for the period's end (Lago #170)."""

    subscription = models.OneToOneField(
        Subscription, on_delete=models.CASCADE, related_name="billing"
    )
    price = models.ForeignKey(PlanPrice, on_delete=models.PROTECT, related_name="+")
    seats = models.PositiveIntegerField("billed seats", default=0)
    billed_until = models.DateField(
        "billed until", null=True, blank=True, help_text="Last day already invoiced (inclusive)."
    )
    pending_plan = models.ForeignKey(
        Plan, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        help_text="A downgrade that takes effect at the start of the next period.",
    )  # fmt: skip
    retention_until = models.DateField(
        "data kept until", null=True, blank=True,
        help_text="A cancelled app's data is kept in the tenant's schema until this day.",
    )  # fmt: skip
    data_purged_at = models.DateTimeField(
        "data emptied", null=True, blank=True,
        help_text="When the cancelled app's tables were emptied after the retention period.",
    )  # fmt: skip
    final_export = models.CharField(
        "final export", max_length=300, blank=True,
        help_text="The archive written before the app's tables were emptied (under MEDIA_ROOT).",
    )  # fmt: skip
    updated_at = models.DateTimeField("updated", auto_now=True)

    class Meta:
        verbose_name = "subscription billing"

    def __str__(self) -> str:
        return f"{self.subscription} · {self.price}"
