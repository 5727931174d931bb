"""Filters of the Project Management lists (django-filter): `?project=3&assignee=me`..."""

import django_filters as filters

from apps.core.api.filters import FilterSet
from apps.projects.constants import Priority
from apps.projects.models import (
    ChecklistItem,
    Column,
    Comment,
    Milestone,
    Notification,
    Project,
    Task,
    TaskAttachment,
    TimeLog,
)


class ProjectFilter(FilterSet):
    member = filters.NumberFilter(field_name="members__user", distinct=True)

    class Meta:
        model = Project
        fields = ["status"]


class MilestoneFilter(FilterSet):
    class Meta:
        model = Milestone
        fields = ["project", "done"]


class ColumnFilter(FilterSet):
    class Meta:
        model = Column
        fields = ["project", "is_done"]


class TaskFilter(FilterSet):
    assignee = filters.CharFilter(method="filter_assignee",
                                  label='A user id, "me", or "none" (unassigned)')  # fmt: skip
    label = filters.CharFilter(method="filter_label")
    priority = filters.ChoiceFilter(choices=Priority.choices)
    done = filters.BooleanFilter(field_name="column__is_done")
    due_before = filters.DateFilter(field_name="due_date", lookup_expr="lte")
    due_after = filters.DateFilter(field_name="due_date", lookup_expr="gte")
    column_name = filters.CharFilter(field_name="column__name", lookup_expr="iexact",
                                     label="A status column's name, in any project")  # fmt: skip

    class Meta:
        model = Task
        fields = ["project", "column", "milestone", "parent"]

    def filter_assignee(self, queryset, name, value):
        value = value.strip().lower()
        if value == "me" and self.request is not None:
            return queryset.filter(assignee=self.request.user)
        if value == "none":
            return queryset.filter(assignee__isnull=True)
        if value.isdigit():
            return queryset.filter(assignee_id=int(value))
        return queryset.none()

    def filter_label(self, queryset, name, value):
        return queryset.filter(labels__contains=[value.strip().lower()])


class TimeLogFilter(FilterSet):
    project = filters.NumberFilter(field_name="task__project")
    worked_after = filters.DateFilter(field_name="work_date", lookup_expr="gte")
    worked_before = filters.DateFilter(field_name="work_date", lookup_expr="lte")

    class Meta:
        model = TimeLog
        fields = ["task", "user", "billable"]


class CommentFilter(FilterSet):
    class Meta:
        model = Comment
        fields = ["task", "author"]


class ChecklistItemFilter(FilterSet):
    class Meta:
        model = ChecklistItem
        fields = ["task", "done"]


class AttachmentFilter(FilterSet):
    class Meta:
        model = TaskAttachment
        fields = ["task"]


class NotificationFilter(FilterSet):
    unread = filters.BooleanFilter(field_name="read_at", lookup_expr="isnull")

    class Meta:
        model = Notification
        fields = ["kind", "task"]
