from django.db import models

from apps.isp.models.billing import Invoice
from apps.isp.models.customers import Customer

__all__ = ["DunningNotice", "DunningStep"]


class DunningStep(models.Model):
    """A step of the tenant's dunning policy: at N days overdue, remind by email, or suspend
    the customer's services (restored as soon as the balance is paid)."""

    class Action(models.TextChoices):
        REMINDER = "reminder", "Reminder email"
        SUSPEND = "suspend", "Suspend services"

    name = models.CharField(max_length=100)
    days_overdue = models.PositiveSmallIntegerField(unique=True)
    action = models.CharField(max_length=10, choices=Action.choices)
    email_subject = models.CharField(max_length=200, blank=True)
    email_body = models.TextField(
        blank=True, help_text="Plain text; {customer}, {invoice}, {amount}, {due_date} are filled."
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["days_overdue"]

    def __str__(self):
        return f"{self.name} (day {self.days_overdue})"


class DunningNotice(models.Model):
    """A dunning step taken for an overdue invoice: at most once per invoice and step."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="dunning")
    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="dunning")
    step = models.ForeignKey(DunningStep, on_delete=models.PROTECT, related_name="notices")
    action = models.CharField(max_length=10, choices=DunningStep.Action.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["invoice", "step"], name="isp_dunning_step_once")
        ]

    def __str__(self):
        return f"{self.step} for {self.invoice}"
