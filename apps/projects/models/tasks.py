"""The board: a project's columns, its tasks (cards) in them, dependencies and comments."""

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models

from apps.projects.constants import Priority

__all__ = ["Column", "Comment", "Task", "TaskDependency"]


class Column(models.Model):
    """A status column of a project's board, with an optional work-in-progress limit; tasks in
    a "done" column are complete."""

    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE,
                                related_name="columns")  # fmt: skip
    name = models.CharField("name", max_length=60)
    position = models.PositiveSmallIntegerField("order", default=0, help_text="Left to right.")
    wip_limit = models.PositiveSmallIntegerField(
        "WIP limit", null=True, blank=True, validators=[MinValueValidator(1)],
        help_text="Most tasks the column holds at once; blank: no limit.",
    )  # fmt: skip
    is_done = models.BooleanField("done column", default=False,
                                  help_text="Tasks moved here are complete.")  # fmt: skip

    class Meta:
        ordering = ["project", "position", "id"]
        verbose_name = "board column"
        constraints = [
            models.UniqueConstraint(fields=["project", "name"], name="projects_column_name"),
        ]

    def __str__(self) -> str:
        return self.name


class Task(models.Model):
    """A piece of work of a project: a card on its board, at a position in its column (the
    positions of a column are 0..n-1, one card each), possibly a subtask of another, and
    finish-to-start dependent on others (`depends_on`)."""

    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE,
                                related_name="tasks")  # fmt: skip
    column = models.ForeignKey(Column, on_delete=models.RESTRICT, related_name="tasks")
    position = models.PositiveIntegerField("position", default=0, editable=False)
    title = models.CharField("title", max_length=300)
    description = models.TextField("description", blank=True, max_length=20_000)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="assigned_tasks",
    )  # fmt: skip
    priority = models.CharField("priority", max_length=8, choices=Priority.choices,
                                default=Priority.NORMAL)  # fmt: skip
    labels = ArrayField(models.CharField(max_length=40), default=list, blank=True)
    start_date = models.DateField("start", null=True, blank=True)
    due_date = models.DateField("due", null=True, blank=True)
    estimate_hours = models.DecimalField(
        "estimate (hours)", max_digits=7, decimal_places=2, null=True, blank=True,
        validators=[MinValueValidator(0)],
    )  # fmt: skip
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.RESTRICT,
                               related_name="subtasks", verbose_name="parent task")  # fmt: skip
    milestone = models.ForeignKey("projects.Milestone", null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="tasks")  # fmt: skip
    depends_on = models.ManyToManyField(
        "self", symmetrical=False, through="TaskDependency", related_name="dependants",
        blank=True, help_text="Tasks that must finish before this one starts.",
    )  # fmt: skip
    completed_at = models.DateTimeField("completed", null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+", editable=False,
    )  # fmt: skip
    created_at = models.DateTimeField("created", auto_now_add=True)
    updated_at = models.DateTimeField("updated", auto_now=True)

    class Meta:
        ordering = ["project", "column__position", "position", "id"]
        verbose_name = "task"
        constraints = [
            # one card per position of a column; checked at commit, so that a move shifts the
            # others with one UPDATE (the move service checks it at once, see services.tasks)
            models.UniqueConstraint(
                fields=["column", "position"], name="projects_task_column_position",
                deferrable=models.Deferrable.DEFERRED,
            ),
            models.CheckConstraint(
                condition=models.Q(due_date__isnull=True)
                | models.Q(start_date__isnull=True)
                | models.Q(due_date__gte=models.F("start_date")),
                name="projects_task_dates",
            ),
        ]  # fmt: skip
        indexes = [models.Index(fields=["assignee", "due_date"])]

    def __str__(self) -> str:
        return self.title

    def clean(self):
        super().clean()
        if self.start_date and self.due_date and self.due_date < self.start_date:
            raise ValidationError({"due_date": "The due date cannot be before the start."})


class TaskDependency(models.Model):
    """Finish-to-start: `task` starts only after `depends_on` is finished."""

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="dependency_links")
    depends_on = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="dependant_links")

    class Meta:
        verbose_name = "task dependency"
        verbose_name_plural = "task dependencies"
        constraints = [
            models.UniqueConstraint(fields=["task", "depends_on"], name="projects_dependency_once"),
            models.CheckConstraint(
                condition=~models.Q(task=models.F("depends_on")),
                name="projects_dependency_not_self",
            ),  # fmt: skip
        ]

    def __str__(self) -> str:
        return f"{self.task_id} after {self.depends_on_id}"


class Comment(models.Model):
    """A remark on a task; the members it @mentions are recorded."""

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                               on_delete=models.SET_NULL, related_name="+")  # fmt: skip
    body = models.TextField("comment", max_length=10_000)
    mentions = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")
    created_at = models.DateTimeField("written", auto_now_add=True)
    updated_at = models.DateTimeField("edited", auto_now=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = "comment"

    def __str__(self) -> str:
        return self.body[:60]
