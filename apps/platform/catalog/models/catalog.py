from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models

from apps.platform.catalog.constants import APP_KEYS

__all__ = ["App", "Plan"]


class App(models.Model):
    """A product of the catalog that tenants subscribe to (ISP Framework, CRM, ...)."""

    key = models.CharField(
        "key", max_length=20, unique=True, choices=[(k, k) for k in APP_KEYS],
        help_text="Stable identifier used in URLs, feature flags and limits.",
    )  # fmt: skip
    name = models.CharField("name", max_length=100)
    tagline = models.CharField("tagline", max_length=200, blank=True)
    description = models.TextField("description", blank=True)
    icon = models.CharField("icon", max_length=8, blank=True, help_text="An emoji shown in menus.")
    is_active = models.BooleanField(
        "on sale", default=True, help_text="Inactive apps cannot be subscribed to."
    )
    position = models.PositiveSmallIntegerField("position", default=0)

    class Meta:
        ordering = ["position", "name"]
        verbose_name = "app"

    def __str__(self) -> str:
        return self.name


class Plan(models.Model):
    """A way to buy an app: price, billing period, the features it unlocks and its usage limits.

    `features` is a list of flags such as "crm.forecasting"; `limits` maps a limit key such as
    "isp.max_customers" to a number, or to null for unlimited. A key absent from `limits` is
    unlimited too.
    """

    class BillingPeriod(models.TextChoices):
        MONTHLY = "monthly", "Monthly"
        YEARLY = "yearly", "Yearly"

    app = models.ForeignKey(App, on_delete=models.PROTECT, related_name="plans", verbose_name="app")
    key = models.SlugField("key", max_length=40)
    name = models.CharField("name", max_length=100)
    price = models.DecimalField(
        "price", max_digits=10, decimal_places=2, validators=[MinValueValidator(Decimal("0"))]
    )
    currency = models.CharField("currency", max_length=3, default="USD")
    billing_period = models.CharField(
        "billing period", max_length=10, choices=BillingPeriod.choices, default="monthly"
    )
    trial_days = models.PositiveSmallIntegerField("trial days", default=14)
    features = models.JSONField("features", default=list, blank=True)
    limits = models.JSONField("usage limits", default=dict, blank=True)
    is_active = models.BooleanField("on sale", default=True)
    position = models.PositiveSmallIntegerField("position", default=0)

    class Meta:
        ordering = ["app__position", "position", "price"]
        verbose_name = "plan"
        constraints = [
            models.UniqueConstraint(fields=["app", "key"], name="catalog_plan_unique_key_per_app"),
            models.CheckConstraint(
                condition=models.Q(price__gte=0), name="catalog_plan_price_gte_0"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.app.name} {self.name}"

    @property
    def monthly_price(self) -> Decimal:
        """The price per month, for recurring-revenue figures."""
        if self.billing_period == self.BillingPeriod.YEARLY:
            return (self.price / 12).quantize(Decimal("0.01"))
        return self.price

    def clean(self):
        if not isinstance(self.features, list) or not all(
            isinstance(f, str) for f in self.features
        ):
            raise ValidationError(
                {"features": 'A list of feature flags, e.g. ["crm.forecasting"].'}
            )
        if not isinstance(self.limits, dict) or not all(
            value is None or (isinstance(value, int) and value >= 0)
            for value in self.limits.values()
        ):
            raise ValidationError(
                {"limits": "A mapping of limit keys to a whole number, or null for unlimited."}
            )
