"""Usage metering of Project Management's plan limits."""

from apps.projects.models import Project


def projects_count() -> int:
    """`projects.max_projects`: every project the tenant holds (a completed or cancelled one
    too, until it is deleted)."""
    return Project.objects.count()
