"""Calls, meetings, tasks and notes, each attached to at most one CRM record."""

from django.db import models

from apps.crm.constants import ActivityKind
from apps.crm.models.base import OwnedRecord

__all__ = ["Activity"]

PARENTS = ("account", "contact", "lead", "opportunity")


class Activity(OwnedRecord):
    """Something done or to do about an account, contact, lead or opportunity (or, for a task,
    about nothing in particular). The owner is who does it."""

    kind = models.CharField("kind", max_length=10, choices=ActivityKind.choices)
    subject = models.CharField("subject", max_length=200)
    body = models.TextField("details", blank=True)
    due_at = models.DateTimeField("due", null=True, blank=True)
    done = models.BooleanField("done", default=False)
    done_at = models.DateTimeField("done at", null=True, blank=True, editable=False)
    account = models.ForeignKey(
        "crm.Account", null=True, blank=True, on_delete=models.CASCADE, related_name="activities"
    )
    contact = models.ForeignKey(
        "crm.Contact", null=True, blank=True, on_delete=models.CASCADE, related_name="activities"
    )
    lead = models.ForeignKey(
        "crm.Lead", null=True, blank=True, on_delete=models.CASCADE, related_name="activities"
    )
    opportunity = models.ForeignKey(
        "crm.Opportunity", null=True, blank=True, on_delete=models.CASCADE,
        related_name="activities",
    )  # fmt: skip

    class Meta:
        ordering = ["done", "due_at", "-created_at", "-id"]
        verbose_name = "activity"
        verbose_name_plural = "activities"
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(account__isnull=True, contact__isnull=True, lead__isnull=True)
                    | models.Q(account__isnull=True, contact__isnull=True, opportunity__isnull=True)
                    | models.Q(account__isnull=True, lead__isnull=True, opportunity__isnull=True)
                    | models.Q(contact__isnull=True, lead__isnull=True, opportunity__isnull=True)
                ),
                name="crm_activity_one_parent",
                violation_error_message="An activity is about one record at most.",
            ),
            models.CheckConstraint(
                condition=models.Q(done=False) | models.Q(done_at__isnull=False),
                name="crm_activity_done_has_date",
            ),
        ]
        indexes = [models.Index(fields=["owner", "done", "due_at"], name="crm_activity_todo")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.subject}"

    @property
    def parent(self):
        for name in PARENTS:
            if getattr(self, f"{name}_id"):
                return getattr(self, name)
        return None
