"""Time spent on tasks."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from apps.core.money import MoneyField, non_negative
from apps.projects.constants import MAX_TASK_HOURS

__all__ = ["TimeLog"]


class TimeLog(models.Model):
    """Hours a person worked on a task on a given day (the day of the work, not of the entry),
    billable or not, at an hourly rate."""

    task = models.ForeignKey("projects.Task", on_delete=models.RESTRICT, related_name="time_logs")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                             related_name="+", verbose_name="person")  # fmt: skip
    work_date = models.DateField("date worked")
    hours = models.DecimalField(
        "hours", max_digits=5, decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(MAX_TASK_HOURS)],
    )  # fmt: skip
    billable = models.BooleanField("billable", default=True)
    rate = MoneyField("hourly rate", validators=[non_negative])
    note = models.CharField("note", max_length=500, blank=True)
    created_at = models.DateTimeField("logged", auto_now_add=True)

    class Meta:
        ordering = ["-work_date", "-id"]
        verbose_name = "time log"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(hours__gt=0, hours__lte=MAX_TASK_HOURS),
                name="projects_timelog_hours",
            ),  # fmt: skip
            models.CheckConstraint(condition=models.Q(rate__gte=0), name="projects_timelog_rate"),
        ]
        indexes = [models.Index(fields=["user", "work_date"])]

    def __str__(self) -> str:
        return f"{self.hours} h on {self.task_id} ({self.work_date})"

    @property
    def amount(self) -> Decimal:
        return (self.hours * self.rate).quantize(Decimal("0.01"))
