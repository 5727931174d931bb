"""What hangs on a task besides its card: a checklist of steps and attached files."""

from django.conf import settings
from django.db import models

__all__ = ["ChecklistItem", "TaskAttachment"]


class ChecklistItem(models.Model):
    """One step of a task's checklist ("Photograph the splice"), ticked off when done."""

    task = models.ForeignKey("projects.Task", on_delete=models.CASCADE, related_name="checklist")
    text = models.CharField("step", max_length=300)
    done = models.BooleanField("done", default=False)
    position = models.PositiveIntegerField("order", default=0, help_text="Top to bottom.")
    done_at = models.DateTimeField("ticked off", null=True, blank=True, editable=False)
    done_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="+",
                                editable=False)  # fmt: skip
    created_at = models.DateTimeField("added", auto_now_add=True)

    class Meta:
        ordering = ["task", "position", "id"]
        verbose_name = "checklist item"

    def __str__(self) -> str:
        return self.text


def _task_upload(instance, filename: str) -> str:
    # Under the tenant's media prefix (the default storage is django-tenants' per-tenant one).
    return f"projects/tasks/{instance.task_id}/{filename}"


class TaskAttachment(models.Model):
    """A file attached to a task (a drawing, a photo, a permit), kept under the tenant's
    storage prefix; apps.projects.services.attachments bounds its size and type."""

    task = models.ForeignKey("projects.Task", on_delete=models.CASCADE,
                             related_name="attachments")  # fmt: skip
    file = models.FileField(upload_to=_task_upload, max_length=300)
    name = models.CharField("name", max_length=200)
    content_type = models.CharField("type", max_length=100)
    size = models.PositiveIntegerField("size (bytes)")
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")  # fmt: skip
    created_at = models.DateTimeField("uploaded", auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = "task attachment"

    def __str__(self) -> str:
        return self.name
