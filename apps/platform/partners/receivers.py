"""The ledger listens to billing: a paid invoice accrues, a refund claws back."""

from django.dispatch import receiver

from apps.platform.billing.signals import invoice_paid, invoice_refunded
from apps.platform.partners import services


@receiver(invoice_paid)
def _accrue(sender, invoice, **kwargs):
    services.commission_accrue(invoice=invoice)


@receiver(invoice_refunded)
def _claw_back(sender, invoice, amount, **kwargs):
    services.commission_clawback(invoice=invoice, amount=amount)
