"""The ISP defaults every tenant starts with (a tenant initialiser): billing settings, tax
classes and a dunning policy, all editable afterwards in the tenant admin."""

from django.db import transaction

from apps.isp.models import (
    BillingSettings,
    DunningStep,
    MonitoringSettings,
    NetworkSettings,
    TaxClass,
)

DEFAULT_TAX_CLASSES = (
    ("standard", "Standard rate", "20.00", True),
    ("reduced", "Reduced rate", "5.00", False),
    ("exempt", "Exempt", "0.00", False),
)

DEFAULT_DUNNING_STEPS = (
    (
        7,
        DunningStep.Action.REMINDER,
        "First reminder",
        "Reminder: invoice {invoice} is overdue",
        "Dear {customer},\n\nOur invoice {invoice} of {amount}, due on {due_date}, is still "
        "unpaid. Please pay it at your earliest convenience.\n",
    ),
    (
        14,
        DunningStep.Action.REMINDER,
        "Final reminder",
        "Final reminder: invoice {invoice}",
        "Dear {customer},\n\nInvoice {invoice} of {amount} (due {due_date}) remains unpaid. "
        "Your service will be suspended unless it is paid within a week.\n",
    ),
    (21, DunningStep.Action.SUSPEND, "Suspension", "", ""),
)


@transaction.atomic
def isp_defaults_ensure(**_) -> None:
    """Tenant initialiser: the defaults exist (created once; never overwrites a tenant's edits)."""
    BillingSettings.objects.get_or_create(id=1)
    NetworkSettings.objects.get_or_create(id=1)
    MonitoringSettings.objects.get_or_create(id=1)
    for code, name, rate, is_default in DEFAULT_TAX_CLASSES:
        TaxClass.objects.get_or_create(
            code=code, defaults={"name": name, "rate": rate, "is_default": is_default}
        )
    if not DunningStep.objects.exists():
        for days, action, name, subject, body in DEFAULT_DUNNING_STEPS:
            DunningStep.objects.create(
                days_overdue=days, action=action, name=name, email_subject=subject, email_body=body
            )


def billing_settings() -> BillingSettings:
    settings, _ = BillingSettings.objects.get_or_create(id=1)
    return settings
