"""A project's records in other apps (lead-to-cash): the CRM opportunity it was started for,
the ISP service order it delivers; and which billable time went on an invoice. Kept as
(app, reference), never a foreign key: the other app may be switched off."""

from django.db import models

__all__ = ["ProjectLink", "TimeLogCharge"]


class ProjectLink(models.Model):
    """Project ↔ a record of another app, in one role: "origin" (the opportunity the project
    was started for) or "service" (the service order its final milestone activates)."""

    class Role(models.TextChoices):
        ORIGIN = "origin", "Started for"
        SERVICE = "service", "Delivers"

    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE,
                                related_name="links")  # fmt: skip
    role = models.CharField("role", max_length=10, choices=Role.choices)
    app = models.CharField("app", max_length=20)
    ref = models.CharField("reference", max_length=64)
    reached_at = models.DateTimeField(
        "delivered", null=True, blank=True, editable=False,
        help_text="When the final milestone activated the service (once).",
    )  # fmt: skip
    created_at = models.DateTimeField("linked", auto_now_add=True)

    class Meta:
        ordering = ["project", "role", "id"]
        verbose_name = "project link"
        constraints = [
            models.UniqueConstraint(fields=["project", "role"], name="projects_link_role_once"),
        ]
        indexes = [models.Index(fields=["app", "ref"])]

    def __str__(self) -> str:
        return f"{self.project_id} {self.role} {self.app}:{self.ref}"


class TimeLogCharge(models.Model):
    """A billable time log charged to another app's customer (once: the log's row here)."""

    time_log = models.OneToOneField("projects.TimeLog", on_delete=models.PROTECT,
                                    related_name="charge")  # fmt: skip
    app = models.CharField("app", max_length=20)
    ref = models.CharField("charged to", max_length=64, help_text="The service charged.")
    charged_at = models.DateTimeField("charged", auto_now_add=True)

    class Meta:
        ordering = ["-charged_at", "id"]
        verbose_name = "time log charge"

    def __str__(self) -> str:
        return f"time log {self.time_log_id} → {self.app}:{self.ref}"
