"""Project templates: a plan of milestones and tasks with dates relative to the start."""

from django.db import models

__all__ = ["ProjectTemplate"]


class ProjectTemplate(models.Model):
    """A reusable plan ("Fibre installation"): milestones and tasks with offsets in days from
    the project's start, applied to a project by `template_apply` (apps.projects.services).

    `milestones`: [{"name", "offset_days"}]; `tasks`: [{"title", "start_offset_days",
    "duration_days", "estimate_hours", "milestone" (its index), "depends_on" (indexes of
    earlier tasks), "priority", "labels"}], validated by the template service."""

    name = models.CharField("name", max_length=200, unique=True)
    description = models.TextField("description", blank=True, max_length=5000)
    milestones = models.JSONField("milestones", default=list, blank=True)
    tasks = models.JSONField("tasks", default=list, blank=True)
    created_at = models.DateTimeField("created", auto_now_add=True)
    updated_at = models.DateTimeField("updated", auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = "project template"

    def __str__(self) -> str:
        return self.name
