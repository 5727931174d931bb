from django.conf import settings
from django.db import models

from apps.core.encryption import EncryptedCharField, EncryptedTextField
from apps.core.money import MoneyField

__all__ = ["BillingAccount"]


class BillingAccount(models.Model):
    """Who pays the platform's bill for one tenant: contact, tax details, currency and the
    payment method, held as the gateway's token (the sandbox's token is its test card number;
    a real provider's is an opaque reference), with the card's last four digits to show."""

    tenant = models.OneToOneField(
        settings.TENANT_MODEL, on_delete=models.CASCADE, related_name="billing_account"
    )
    email = models.EmailField("billing email", blank=True)
    address = EncryptedTextField("address", blank=True, max_length=500)
    tax_id = EncryptedCharField("tax id", max_length=40, blank=True)
    currency = models.CharField("currency", max_length=3, default="USD")
    tax_rate = models.DecimalField(
        "tax rate (%)", max_digits=5, decimal_places=2, default=0,
        help_text="Percent added to every invoice's subtotal (0 when none applies).",
    )  # fmt: skip
    payment_token = EncryptedCharField(
        "payment method token", max_length=100, blank=True,
        help_text="The gateway's token of the card on file; empty when there is none.",
    )  # fmt: skip
    card_last4 = models.CharField("card", max_length=4, blank=True)
    credit_balance = MoneyField(
        "credit balance", help_text="Credit owed to the tenant, used on its next invoice."
    )
    created_at = models.DateTimeField("created", auto_now_add=True)

    class Meta:
        ordering = ["tenant__name"]
        verbose_name = "billing account"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(credit_balance__gte=0), name="billing_account_credit_gte_0"
            ),
            models.CheckConstraint(
                condition=models.Q(tax_rate__gte=0) & models.Q(tax_rate__lte=100),
                name="billing_account_tax_rate_0_100",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.tenant} billing"

    @property
    def has_payment_method(self) -> bool:
        return bool(self.payment_token)
