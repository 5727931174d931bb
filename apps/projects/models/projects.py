"""Projects, who works on them (members and project managers) and their milestones."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models

from apps.core.money import MoneyField, non_negative
from apps.projects.constants import MemberRole, ProjectStatus

__all__ = ["Milestone", "Project", "ProjectMember"]


class Project(models.Model):
    """A piece of work with a goal, dates and a budget, done by its members through tasks on a
    board. Visible to its members (object permissions); edited by its project managers."""

    name = models.CharField("name", max_length=200)
    description = models.TextField("description", blank=True, max_length=20_000)
    status = models.CharField(
        "status", max_length=12, choices=ProjectStatus.choices, default=ProjectStatus.PLANNED
    )
    start_date = models.DateField("start", null=True, blank=True)
    end_date = models.DateField("end", null=True, blank=True, help_text="Planned finish.")
    budget_hours = models.DecimalField(
        "budget (hours)", max_digits=9, decimal_places=2, null=True, blank=True,
        validators=[MinValueValidator(0)],
    )  # fmt: skip
    budget_amount = MoneyField(
        "budget (money)", validators=[non_negative], help_text="In the organisation's currency."
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+", editable=False,
    )  # fmt: skip
    created_at = models.DateTimeField("created", auto_now_add=True)
    updated_at = models.DateTimeField("updated", auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = "project"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end_date__isnull=True)
                | models.Q(start_date__isnull=True)
                | models.Q(end_date__gte=models.F("start_date")),
                name="projects_project_dates",
            ),
            models.CheckConstraint(
                condition=models.Q(budget_amount__gte=0), name="projects_project_budget"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self):
        super().clean()
        if self.start_date and self.end_date and self.end_date < self.start_date:
            raise ValidationError({"end_date": "The end cannot be before the start."})


class ProjectMember(models.Model):
    """A user working on a project; a project manager also edits it and its plan. The access
    itself is held as object permissions (apps.identity.objects), written with this row."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="project_memberships"
    )
    role = models.CharField(
        "role", max_length=10, choices=MemberRole.choices, default=MemberRole.MEMBER
    )
    added_at = models.DateTimeField("added", auto_now_add=True)

    class Meta:
        ordering = ["project", "id"]
        verbose_name = "project member"
        constraints = [
            models.UniqueConstraint(fields=["project", "user"], name="projects_member_once"),
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.project} ({self.get_role_display()})"


class Milestone(models.Model):
    """A dated goal of a project (a phase's end), reached when marked done."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="milestones")
    name = models.CharField("name", max_length=200)
    due_date = models.DateField("due", null=True, blank=True)
    done = models.BooleanField("done", default=False)
    completed_at = models.DateTimeField("completed", null=True, blank=True, editable=False)

    class Meta:
        ordering = ["due_date", "id"]
        verbose_name = "milestone"

    def __str__(self) -> str:
        return self.name
