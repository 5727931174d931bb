"""Worker heartbeats: proof that tenant tasks reach every schema."""

from django.db import models

__all__ = ["WorkerHeartbeat"]


class WorkerHeartbeat(models.Model):
    """A row a Celery worker wrote in this tenant's schema: proof that tenant tasks run here.

    Beat fans out one heartbeat task per tenant; operators read the latest row to see that the
    workers reach every schema.
    """

    source = models.CharField("source", max_length=100, help_text="Who sent the task.")
    schema_name = models.CharField(
        "schema", max_length=63, help_text="The schema the task ran in, as the worker saw it."
    )
    task_id = models.CharField("task id", max_length=255, unique=True)
    created_at = models.DateTimeField("written at", auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "worker heartbeat"

    def __str__(self) -> str:
        return f"{self.source} @ {self.created_at:%Y-%m-%d %H:%M:%S}"
