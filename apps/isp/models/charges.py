"""Charges another app (Project Management's billable time) puts on a customer's next invoice:
pending until a billing run invoices the customer, then on that invoice as adjustment lines."""

from django.db import models

from apps.core.money import MoneyField
from apps.isp.models.billing import Invoice
from apps.isp.models.customers import Customer

__all__ = ["PendingCharge"]


class PendingCharge(models.Model):
    """One line waiting for the customer's next invoice (its net amount, the default tax class
    applies). `source` names what it charges ("projects.timelog:12"), once per source."""

    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="pending_charges")
    description = models.CharField("description", max_length=300)
    amount = MoneyField("amount", help_text="Net, before tax.")
    source = models.CharField("charges", max_length=120, unique=True)
    invoice = models.ForeignKey(
        Invoice, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        help_text="The invoice it went on (empty: still pending).",
    )  # fmt: skip
    created_at = models.DateTimeField("added", auto_now_add=True)

    class Meta:
        ordering = ["customer", "id"]
        verbose_name = "pending charge"
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gte=0), name="isp_charge_amount"),
        ]
        indexes = [
            models.Index(
                fields=["customer"], condition=models.Q(invoice__isnull=True),
                name="isp_charge_pending",
            ),
        ]  # fmt: skip

    def __str__(self) -> str:
        return f"{self.description} ({self.amount})"
