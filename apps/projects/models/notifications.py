"""In-app notifications of Project Management (also sent by email)."""

from django.conf import settings
from django.db import models

__all__ = ["Notification"]


class Notification(models.Model):
    """Something a person should know about a task: it was assigned to them, they were
    @mentioned in a comment, or it is due soon. Read when they mark it so. One "due soon" per
    task, person and due date (the database holds it: the daily run may repeat)."""

    class Kind(models.TextChoices):
        ASSIGNED = "assigned", "Assigned to you"
        MENTIONED = "mentioned", "Mentioned you"
        DUE_SOON = "due_soon", "Due soon"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="project_notifications",
                             verbose_name="for")  # fmt: skip
    kind = models.CharField("kind", max_length=10, choices=Kind.choices)
    task = models.ForeignKey("projects.Task", on_delete=models.CASCADE,
                             related_name="notifications")  # fmt: skip
    comment = models.ForeignKey("projects.Comment", null=True, blank=True,
                                on_delete=models.CASCADE, related_name="+")  # fmt: skip
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="+",
                              verbose_name="by")  # fmt: skip
    message = models.CharField("message", max_length=500)
    due_date = models.DateField("due", null=True, blank=True,
                                help_text="The due date a due-soon notice is about.")  # fmt: skip
    read_at = models.DateTimeField("read", null=True, blank=True)
    emailed = models.BooleanField("emailed", default=False)
    created_at = models.DateTimeField("sent", auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "notification"
        constraints = [
            models.UniqueConstraint(
                fields=["user", "task", "due_date"], condition=models.Q(kind="due_soon"),
                name="projects_notification_due_soon_once",
            ),
        ]  # fmt: skip
        indexes = [models.Index(fields=["user", "read_at"])]

    def __str__(self) -> str:
        return self.message
