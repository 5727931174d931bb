"""The tenant super admin's console for Project Management (listed only while the tenant
subscribes to it: licensing's admin filter). Writes go through the services, as on the API and
the pages: a project's members and permissions change together, a task's card position and
dependencies are kept by the task services (moves happen on the board or through the API)."""

from django.contrib import admin

from apps.core.kit.admin import ReadOnlyAdmin, ReadOnlyInline, ServiceAdmin
from apps.projects.models import (
    ChecklistItem,
    Column,
    Comment,
    Milestone,
    Notification,
    Project,
    ProjectLink,
    ProjectMember,
    ProjectTemplate,
    Task,
    TaskAttachment,
    TimeLog,
    TimeLogCharge,
)
from apps.projects.services import checklists, projects, tasks, templates, time


class MemberInline(ReadOnlyInline):
    model = ProjectMember
    fields = ["user", "role", "added_at"]


class ColumnInline(ReadOnlyInline):
    model = Column
    fields = ["name", "position", "wip_limit", "is_done"]


@admin.register(Project)
class ProjectAdmin(ServiceAdmin):
    list_display = ["name", "status", "start_date", "end_date", "budget_hours", "budget_amount"]
    list_filter = ["status"]
    search_fields = ["name"]
    readonly_fields = ["created_at", "updated_at"]
    inlines = [MemberInline, ColumnInline]
    create_service = staticmethod(projects.project_create)
    update_service = staticmethod(projects.project_update)
    destroy_service = staticmethod(projects.project_delete)


@admin.register(Milestone)
class MilestoneAdmin(ServiceAdmin):
    list_display = ["name", "project", "due_date", "done"]
    list_filter = ["done"]
    list_select_related = ["project"]
    search_fields = ["name", "project__name"]
    create_service = staticmethod(projects.milestone_create)
    update_service = staticmethod(projects.milestone_update)
    destroy_service = staticmethod(projects.milestone_delete)


@admin.register(Column)
class ColumnAdmin(ServiceAdmin):
    list_display = ["name", "project", "position", "wip_limit", "is_done"]
    list_select_related = ["project"]
    search_fields = ["name", "project__name"]
    create_service = staticmethod(projects.column_create)
    update_service = staticmethod(projects.column_update)
    destroy_service = staticmethod(projects.column_delete)


@admin.register(Task)
class TaskAdmin(ServiceAdmin):
    list_display = ["title", "project", "column", "assignee", "priority", "due_date"]
    list_filter = ["priority", "column__is_done"]
    list_select_related = ["project", "column", "assignee"]
    search_fields = ["title", "project__name"]
    fields = ["project", "column", "title", "description", "assignee", "priority", "labels",
              "start_date", "due_date", "estimate_hours", "parent", "milestone"]  # fmt: skip
    raw_id_fields = ["parent", "milestone", "column", "project"]
    create_service = staticmethod(tasks.task_create)
    update_service = staticmethod(tasks.task_update)
    destroy_service = staticmethod(tasks.task_delete)


@admin.register(TimeLog)
class TimeLogAdmin(ServiceAdmin):
    list_display = ["task", "user", "work_date", "hours", "billable", "rate"]
    list_filter = ["billable"]
    list_select_related = ["task", "user"]
    raw_id_fields = ["task"]
    create_service = staticmethod(time.time_log_create)
    update_service = staticmethod(time.time_log_update)
    destroy_service = staticmethod(time.time_log_delete)
    service_object = "time_log"


@admin.register(Comment)
class CommentAdmin(ReadOnlyAdmin):
    list_display = ["task", "author", "created_at"]
    list_select_related = ["task", "author"]


@admin.register(ProjectTemplate)
class TemplateAdmin(ServiceAdmin):
    list_display = ["name", "created_at"]
    search_fields = ["name"]
    create_service = staticmethod(templates.template_create)
    update_service = staticmethod(templates.template_update)
    destroy_service = staticmethod(templates.template_delete)
    service_object = "template"


@admin.register(ChecklistItem)
class ChecklistItemAdmin(ServiceAdmin):
    list_display = ["text", "task", "done", "position"]
    list_filter = ["done"]
    list_select_related = ["task"]
    search_fields = ["text", "task__title"]
    raw_id_fields = ["task"]
    create_service = staticmethod(checklists.checklist_item_create)
    update_service = staticmethod(checklists.checklist_item_update)
    destroy_service = staticmethod(checklists.checklist_item_delete)
    service_object = "checklist_item"


@admin.register(TaskAttachment)
class AttachmentAdmin(ReadOnlyAdmin):
    list_display = ["name", "task", "content_type", "size", "uploaded_by", "created_at"]
    list_select_related = ["task", "uploaded_by"]
    search_fields = ["name", "task__title"]


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ["message", "user", "kind", "read_at", "created_at"]
    list_filter = ["kind"]
    list_select_related = ["user"]


@admin.register(ProjectLink)
class ProjectLinkAdmin(ReadOnlyAdmin):
    """Lead-to-cash: the records of other apps a project is linked to (apps.projects.services
    .links writes them)."""

    list_display = ["project", "role", "app", "ref", "reached_at", "created_at"]
    list_filter = ["role", "app"]
    list_select_related = ["project"]
    search_fields = ["project__name", "ref"]


@admin.register(TimeLogCharge)
class TimeLogChargeAdmin(ReadOnlyAdmin):
    """Billable time logs put on another app's invoice, each once."""

    list_display = ["time_log", "app", "ref", "charged_at"]
    list_filter = ["app"]
    list_select_related = ["time_log"]
    search_fields = ["ref", "time_log__task__title"]
