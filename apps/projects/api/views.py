"""The Project Management API (DESIGN.md §3): /api/v1/projects/<resource>/, on the API kit.

Every resource restricts its queryset through `apps.projects.selectors.visible` (a
non-member's project and everything in it is a 404; what a member sees but may not change, a
403) and writes through the services, which hold the rules.
"""

from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError as DrfValidationError
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.response import Response

from apps.core.api.viewsets import BaseViewSet, ModelViewSet, ReadOnlyModelViewSet
from apps.identity.permissions import AppAreaAccess
from apps.projects import selectors
from apps.projects.api import filters
from apps.projects.api import serializers as s
from apps.projects.constants import TIME_TRACKING
from apps.projects.models import ProjectTemplate
from apps.projects.services import (
    attachments,
    checklists,
    comments,
    links,
    notifications,
    projects,
    tasks,
    templates,
    time,
)

UPLOAD_SCHEMA = extend_schema(
    request={"multipart/form-data": {"type": "object", "required": ["file"],
                                     "properties": {"file": {"type": "string",
                                                             "format": "binary"}}}},
    responses={201: s.AttachmentSerializer},
)  # fmt: skip


class ProjectsViewSet(ModelViewSet):
    """Base of the app's resources: one visibility rule (apps.projects.selectors)."""

    restrict = staticmethod(selectors.visible)

    def implied_by_view(self, model, action: str) -> bool:
        return selectors.implied_by_view(model, action)


class ProjectViewSet(ProjectsViewSet):
    """Projects the requester is a member of (every one for a Projects admin)."""

    queryset = selectors.project_rows()
    serializer_class = s.ProjectSerializer
    filterset_class = filters.ProjectFilter
    search_fields = ["name", "description"]
    ordering_fields = ["name", "start_date", "end_date", "created_at", "status"]
    create_service = staticmethod(projects.project_create)
    update_service = staticmethod(projects.project_update)
    destroy_service = staticmethod(projects.project_delete)
    object_actions = {**ModelViewSet.object_actions, "members": "change",
                      "remove_member": "change", "from_template": "change",
                      "invoice_time": "change"}  # fmt: skip

    @extend_schema(request=s.MemberInput)
    @action(detail=True, methods=["post"])
    def members(self, request, pk=None):
        """Add a member or a project manager (or change their role)."""
        project = self.get_object()
        data = self.validated(s.MemberInput)
        projects.member_add(project=project, actor=self.actor, **data)
        return self.respond(project)

    @extend_schema(request=s.RemoveMemberInput)
    @action(detail=True, methods=["post"], url_path="remove-member")
    def remove_member(self, request, pk=None):
        project = self.get_object()
        data = self.validated(s.RemoveMemberInput)
        projects.member_remove(project=project, actor=self.actor, **data)
        return self.respond(project)

    @extend_schema(request=s.FromTemplateInput)
    @action(detail=True, methods=["post"], url_path="from-template")
    def from_template(self, request, pk=None):
        """Plan the project from a template: its milestones and tasks, dated from
        `start_date` (default: the project's start), with their dependencies."""
        project = self.get_object()
        data = self.validated(s.FromTemplateInput)
        return self.respond(templates.template_apply(project=project, actor=self.actor, **data))

    @extend_schema(request=None, responses=s.InvoiceTimeSerializer)
    @action(detail=True, methods=["post"], url_path="invoice-time", resource_type="time_charges",
            filter_backends=[])  # fmt: skip
    def invoice_time(self, request, pk=None):
        """Put the project's billable time not yet invoiced on the next invoice of the customer
        of its linked ISP service (as the project page's "Invoice billable time"; at most 500
        logs a call, each log once: `charged` 0 when none is left). Project managers only;
        409 CONFLICT without a linked service; 403 APP_NOT_SUBSCRIBED without the ISP app."""
        project = self.get_object()
        charged = links.billable_time_charge(project=project, actor=self.actor)
        link = project.links.get(role=links.Role.SERVICE)
        return Response(s.InvoiceTimeSerializer({"charged": charged, "service": link.ref}).data)

    @extend_schema(responses=s.TotalsSerializer)
    @action(detail=True, methods=["get"], resource_type="project_totals", filter_backends=[])
    def totals(self, request, pk=None):
        """Estimate against time logged and the budget; hours by person."""
        project = self.get_object()
        totals = selectors.project_totals(project)
        money = ("hours", "billable_hours", "amount")
        totals["by_person"] = [
            {**row, **{key: f"{row[key]:.2f}" for key in money}}
            for row in selectors.hours_by_person(project)
        ]  # fmt: skip
        return Response(s.TotalsSerializer(totals).data)


class MilestoneViewSet(ProjectsViewSet):
    queryset = selectors.milestone_rows()
    serializer_class = s.MilestoneSerializer
    filterset_class = filters.MilestoneFilter
    search_fields = ["name"]
    ordering_fields = ["due_date", "name"]
    create_service = staticmethod(projects.milestone_create)
    update_service = staticmethod(projects.milestone_update)
    destroy_service = staticmethod(projects.milestone_delete)


class ColumnViewSet(ProjectsViewSet):
    """A project's board columns (status columns, WIP limits)."""

    queryset = selectors.column_rows()
    serializer_class = s.ColumnSerializer
    filterset_class = filters.ColumnFilter
    ordering_fields = ["position", "name"]
    create_service = staticmethod(projects.column_create)
    update_service = staticmethod(projects.column_update)
    destroy_service = staticmethod(projects.column_delete)


class TaskViewSet(ProjectsViewSet):
    """Tasks (cards). `depends_on` is set with PATCH; `move` puts a card in a column at a
    position (the board's drag and drop does the same)."""

    queryset = selectors.task_rows()
    serializer_class = s.TaskSerializer
    filterset_class = filters.TaskFilter
    search_fields = ["title", "description"]
    ordering_fields = ["due_date", "start_date", "priority", "created_at", "updated_at",
                       "position", "title"]  # fmt: skip
    create_service = staticmethod(tasks.task_create)
    update_service = staticmethod(tasks.task_update)
    destroy_service = staticmethod(tasks.task_delete)
    object_actions = {**ModelViewSet.object_actions, "move": "change", "attach": "change"}

    @extend_schema(request=s.TaskMoveInput)
    @action(detail=True, methods=["post"])
    def move(self, request, pk=None):
        """Put the card in `column` at `position` (0 = top)."""
        task = self.get_object()
        data = self.validated(s.TaskMoveInput)
        return self.respond(tasks.task_move(task=task, actor=self.actor, **data))

    @UPLOAD_SCHEMA
    @action(detail=True, methods=["post"], url_path="attachments", parser_classes=[MultiPartParser],
            resource_type="taskattachment")  # fmt: skip
    def attach(self, request, pk=None):
        """Attach a file (multipart `file`; at most 10 MB: PNG, JPEG, GIF, WebP, PDF or plain
        text, recognised from the content), kept under the organisation's storage."""
        task = self.get_object()
        file = request.FILES.get("file")
        if file is None:
            raise DrfValidationError({"file": "Send the file as multipart form data (`file`)."})
        attachment = attachments.attachment_add(task=task, file=file, actor=self.actor)
        found = selectors.attachment_rows().get(pk=attachment.pk)
        return Response(s.AttachmentSerializer(found).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses=s.TaskSerializer(many=True))
    @action(detail=False, methods=["get"], url_path="mine", filter_backends=[])
    def mine(self, request):
        """The requester's open tasks across projects, soonest due first, a page."""
        return self.respond_page(selectors.my_tasks(request.user))


class TimeLogViewSet(ProjectsViewSet):
    """Hours on tasks (the time tracking feature of the plan)."""

    required_feature = TIME_TRACKING
    queryset = selectors.time_log_rows()
    serializer_class = s.TimeLogSerializer
    filterset_class = filters.TimeLogFilter
    ordering_fields = ["work_date", "hours", "created_at"]
    create_service = staticmethod(time.time_log_create)
    update_service = staticmethod(time.time_log_update)
    destroy_service = staticmethod(time.time_log_delete)
    service_object = "time_log"


class CommentViewSet(ProjectsViewSet):
    queryset = selectors.comment_rows()
    serializer_class = s.CommentSerializer
    filterset_class = filters.CommentFilter
    search_fields = ["body"]
    ordering_fields = ["created_at"]
    create_service = staticmethod(comments.comment_create)
    update_service = staticmethod(comments.comment_update)
    destroy_service = staticmethod(comments.comment_delete)


class ChecklistItemViewSet(ProjectsViewSet):
    """The steps of tasks' checklists: whoever may change the task ticks them off (`done`)."""

    queryset = selectors.checklist_rows()
    serializer_class = s.TaskChecklistItemSerializer
    filterset_class = filters.ChecklistItemFilter
    search_fields = ["text"]
    ordering_fields = ["position", "created_at"]
    resource_type = "checklist_item"
    create_service = staticmethod(checklists.checklist_item_create)
    update_service = staticmethod(checklists.checklist_item_update)
    destroy_service = staticmethod(checklists.checklist_item_delete)
    service_object = "checklist_item"


class AttachmentViewSet(mixins.RetrieveModelMixin, mixins.ListModelMixin,
                        mixins.DestroyModelMixin, BaseViewSet):  # fmt: skip
    """Files attached to tasks (upload: POST tasks/{id}/attachments/); deleted by their
    uploader or a project manager."""

    restrict = staticmethod(selectors.visible)
    queryset = selectors.attachment_rows()
    serializer_class = s.AttachmentSerializer
    filterset_class = filters.AttachmentFilter
    search_fields = ["name"]
    ordering_fields = ["created_at", "name", "size"]
    resource_type = "taskattachment"
    destroy_service = staticmethod(attachments.attachment_delete)
    service_object = "attachment"

    @extend_schema(responses={(200, "application/octet-stream"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"], filter_backends=[])
    def download(self, request, pk=None):
        """The file itself, as an attachment."""
        attachment = self.get_object()
        return attachment_file(attachment)


def attachment_file(attachment) -> FileResponse:
    response = FileResponse(attachment.file.open("rb"), content_type=attachment.content_type,
                            as_attachment=True, filename=attachment.name)  # fmt: skip
    response["X-Content-Type-Options"] = "nosniff"
    return response


class NotificationViewSet(ReadOnlyModelViewSet):
    """The requester's notifications (assigned, mentioned, due soon), newest first; `read`
    marks one read, `read-all` every one, `unread` counts those not read."""

    restrict = staticmethod(selectors.visible)
    queryset = selectors.notification_rows()
    serializer_class = s.NotificationSerializer
    filterset_class = filters.NotificationFilter
    ordering_fields = ["created_at"]
    object_actions = {"read": "view"}

    @extend_schema(request=None)
    @action(detail=True, methods=["post"])
    def read(self, request, pk=None):
        notification = self.get_object()
        return self.respond(notifications.notification_read(notification=notification,
                                                            actor=self.actor))  # fmt: skip

    @extend_schema(request=None, responses=s.UnreadSerializer)
    @action(detail=False, methods=["post"], url_path="read-all", resource_type="unread",
            filter_backends=[])  # fmt: skip
    def read_all(self, request):
        notifications.notifications_read_all(user=request.user, actor=self.actor)
        return Response(s.UnreadSerializer({"unread": 0}).data)

    @extend_schema(responses=s.UnreadSerializer)
    @action(detail=False, methods=["get"], resource_type="unread", filter_backends=[])
    def unread(self, request):
        count = self.get_queryset().filter(read_at__isnull=True).count()
        return Response(s.UnreadSerializer({"unread": count}).data)


class TemplateWrites(BasePermission):
    """Anyone in Project Management reads the templates; changing them takes the model
    permission (a Projects admin)."""

    message = "Changing templates takes a Projects admin."

    def has_permission(self, request, view) -> bool:
        if request.method in SAFE_METHODS:
            return True
        if getattr(view, "action", None) == "create_project":
            return True  # a project of one's own, from a template: anyone in the area
        needed = {"POST": "add", "DELETE": "delete"}.get(request.method, "change")
        return request.user.has_perm(f"projects.{needed}_projecttemplate")


class TemplateViewSet(ModelViewSet):
    """Project templates: milestones and tasks with dates relative to the start."""

    queryset = ProjectTemplate.objects.all()
    serializer_class = s.TemplateSerializer
    permission_classes = [AppAreaAccess, TemplateWrites]
    search_fields = ["name", "description"]
    ordering_fields = ["name", "created_at"]
    resource_type = "project_template"
    create_service = staticmethod(templates.template_create)
    update_service = staticmethod(templates.template_update)
    destroy_service = staticmethod(templates.template_delete)
    service_object = "template"

    @extend_schema(request=s.CreateProjectInput, responses=s.ProjectSerializer)
    @action(detail=True, methods=["post"], url_path="create-project",
            resource_type="project")  # fmt: skip
    def create_project(self, request, pk=None):
        """A new project planned from this template (within the plan's project limit); the
        requester is its project manager."""
        template = self.get_object()
        data = self.validated(s.CreateProjectInput)
        project = templates.project_from_template(template=template, actor=self.actor, **data)
        found = selectors.project_rows().filter(pk=project.pk).first()
        return Response(s.ProjectSerializer(found, context=self.get_serializer_context()).data,
                        status=201)  # fmt: skip
