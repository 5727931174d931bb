"""The organisation a schema belongs to: a tenant's (in its schema), or the platform
operator's (in the public schema)."""

from django.core.validators import RegexValidator
from django.db import models

__all__ = ["DEFAULT_CURRENCY", "OrganisationSettings"]

DEFAULT_CURRENCY = "USD"


class OrganisationSettings(models.Model):
    """The organisation's settings every app shares (one row per schema): the currency its
    prices, invoices, deals and budgets are in. Read with apps.core.kit.organisation."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1, editable=False)
    currency = models.CharField(
        "currency",
        max_length=3,
        default=DEFAULT_CURRENCY,
        validators=[RegexValidator(r"^[A-Z]{3}$", "Three capital letters (ISO 4217), e.g. EUR.")],
        help_text="ISO 4217 code, e.g. USD, EUR. Documents keep the currency they were issued in.",
    )

    class Meta:
        verbose_name = verbose_name_plural = "organisation settings"
        constraints = [
            models.CheckConstraint(condition=models.Q(id=1), name="core_org_settings_one")
        ]

    def __str__(self) -> str:
        return f"Organisation settings ({self.currency})"
