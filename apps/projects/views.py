"""The pages of Project Management at /projects/ (the page kit). Licence and area access are
checked by middleware before these run; visibility by `ProjectsPage.restrict`, the API's rule
(apps.projects.selectors.visible); every write calls the same service as the API."""

import json
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Case, F, IntegerField, Q, Value, When
from django.http import Http404, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone

from apps.core.errors import ErrorCode, error_body
from apps.core.exceptions import ConflictError, DomainError
from apps.core.kit.pages import ActionPage, DetailPage, FormPage, ListPage, Page
from apps.core.kit.refusals import REFUSALS, refusal_text
from apps.identity.models import User
from apps.platform.licensing.entitlements import entitlements_for
from apps.projects import forms, reports, selectors, timeline
from apps.projects.api.filters import ProjectFilter, TaskFilter
from apps.projects.api.views import attachment_file
from apps.projects.constants import AREA, TIME_TRACKING, TIMELINE, Priority
from apps.projects.models import ChecklistItem, Column, ProjectTemplate
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


def tenant_has_feature(feature: str) -> bool:
    return entitlements_for(connection.schema_name).has_feature(feature)


class ProjectsPage(Page):
    """Base of every page of the app: the signed-in user's visible rows, one place."""

    section = "projects"

    def restrict(self, queryset, action: str):
        return selectors.visible(queryset, self.request.user, action)

    def project(self, action: str = "view"):
        return self.get_row(selectors.project_rows(), self.kwargs["pk"], action)

    def page_context(self) -> dict:
        return {"has_timeline": tenant_has_feature(TIMELINE),
                "has_time_tracking": tenant_has_feature(TIME_TRACKING),
                "unread_notifications": selectors.unread_count(self.request.user)}  # fmt: skip


class HomeView(ProjectsPage, ListPage):
    """The projects I work on (every one for a Projects admin), searched and filtered."""

    template_name = "projects/list.html"
    search_fields = ("name", "description")
    filterset_class = ProjectFilter
    ignore_invalid_filters = True

    def rows(self):
        return selectors.project_rows()


class ProjectFormView(ProjectsPage, FormPage):
    """Create (no pk) or edit a project."""

    template_name = "projects/form.html"
    form_class = forms.ProjectForm
    create_service = staticmethod(projects.project_create)
    update_service = staticmethod(projects.project_update)

    def instance(self):
        return self.project("change") if self.kwargs.get("pk") else None

    def refused_status(self, error: Exception) -> int:
        return 403 if isinstance(error, DomainError) else 400

    def saved(self, obj):
        return redirect("projects:project", pk=obj.pk)

    def form_context(self, form, instance) -> dict:
        return {"title": f"Edit {instance}" if instance else "New project"}


class ProjectView(ProjectsPage, DetailPage):
    """A project: progress against estimate and budget, milestones, members, its tasks (a
    list with the API's filters)."""

    template_name = "projects/project.html"

    def object(self):
        return self.project()

    def detail_context(self, project) -> dict:
        user = self.request.user
        rows = selectors.visible(selectors.task_rows(), user).filter(project=project)
        filterset = TaskFilter(self.request.GET, queryset=rows, request=self.request)
        rows = filterset.qs if filterset.is_valid() else rows.none()
        return {
            "totals": selectors.project_totals(project),
            "by_person": selectors.hours_by_person(project),
            "milestones": selectors.milestone_rows().filter(project=project),
            "members": selectors.member_rows(project),
            "task_list": rows.order_by("column__position", "position")[:200],
            "columns": project.columns.order_by("position"),
            "may_manage": selectors.can(user, project, "change"),
            "member_form": forms.MemberForm(people=User.objects.filter(is_active=True).filter(
                Q(is_superuser=True) | Q(role_assignments__role__areas__contains=[AREA])
            ).distinct().order_by("username")),
            "templates": ProjectTemplate.objects.order_by("name"),
            "links": links.page_links(project, may_manage=selectors.can(user, project, "change"),
                                      query=self.request.GET.get("service_q", "")),
        }  # fmt: skip


class MemberView(ProjectsPage, ActionPage):
    """Add a member (or change their role); with remove=1, take them off the project."""

    def act(self) -> str:
        project = self.project("change")
        user = User.objects.filter(pk=self.request.POST.get("user") or 0).first()
        if user is None:
            raise ValidationError({"user": "Pick a person."})
        if self.request.POST.get("remove"):
            projects.member_remove(project=project, user=user, actor=self.actor)
            return f"{user.get_username()} is no longer on the project."
        projects.member_add(project=project, user=user, actor=self.actor,
                            role=self.request.POST.get("role") or "member")  # fmt: skip
        return f"{user.get_username()} is on the project."

    def done(self):
        return redirect("projects:project", pk=self.kwargs["pk"])


class FromTemplateView(ProjectsPage, ActionPage):
    def act(self) -> str:
        project = self.project("change")
        template = ProjectTemplate.objects.filter(pk=self.request.POST.get("template") or 0).first()
        if template is None:
            raise ValidationError({"template": "Pick a template."})
        templates.template_apply(project=project, template=template, actor=self.actor)
        return f"Planned from “{template}”."

    def done(self):
        return redirect("projects:project", pk=self.kwargs["pk"])


class BoardView(ProjectsPage):
    """The kanban board: a column per status, a card per task, WIP limits shown; cards are
    dragged to another column or position (saved by MoveView)."""

    template_name = "projects/board.html"
    section = "projects"

    def get(self, request, pk):
        project = self.project()
        assignee = request.user if request.GET.get("mine") else None
        # a card's links are written from one reversed prefix: a {% url %} per card would be two
        # URL reversals per card on a board of thousands (benchmarks/projects_board.py)
        tasks_url = reverse("projects:task", args=[0]).removesuffix("0/")
        return self.render(project=project, columns=selectors.board(project, assignee=assignee),
                           mine=bool(assignee), today=timezone.localdate(),
                           tasks_url=tasks_url)  # fmt: skip


def _json_refusal(code: ErrorCode, message: str, status: int) -> JsonResponse:
    return JsonResponse(error_body(code, message), status=status)


class MoveView(ProjectsPage):
    """The board's drag and drop (fetch, JSON): the same service as the API's move action,
    refusals in the API's error envelope."""

    http_method_names = ["post"]

    def post(self, request, pk):
        task = self.get_row(selectors.task_rows(), pk, "change")
        try:
            payload = json.loads(request.body or b"{}")
            column = Column.objects.get(pk=int(payload.get("column")), project=task.project_id)
            position = payload.get("position")
            position = None if position in (None, "") else int(position)
        except (ValueError, TypeError, AttributeError, Column.DoesNotExist):
            return _json_refusal(ErrorCode.VALIDATION_ERROR, "Unknown column or position.", 400)
        try:
            task = tasks.task_move(task=task, column=column, position=position, actor=self.actor)
        except ValidationError as error:
            return _json_refusal(ErrorCode.VALIDATION_ERROR, refusal_text(error), 400)
        except ConflictError as error:
            return _json_refusal(ErrorCode.CONFLICT, refusal_text(error), 409)
        except REFUSALS as error:
            return _json_refusal(ErrorCode.PERMISSION_DENIED, refusal_text(error), 403)
        return JsonResponse({"id": task.pk, "column": column.pk, "column_name": column.name,
                             "position": task.position})  # fmt: skip


class TaskFormView(ProjectsPage, FormPage):
    """A new task on a project (pk: the project), or a task edited (task: its pk)."""

    template_name = "projects/form.html"
    form_class = forms.TaskForm
    create_service = staticmethod(tasks.task_create)
    update_service = staticmethod(tasks.task_update)

    def instance(self):
        if "task" in self.kwargs:
            return self.get_row(selectors.task_rows(), self.kwargs["task"], "change")
        return None

    def the_project(self):
        if "task" in self.kwargs:
            return self.instance().project
        return self.project("view")

    def form_kwargs(self) -> dict:
        return {"project": self.the_project()}

    def create(self, data: dict):
        return tasks.task_create(project=self.the_project(), **data, actor=self.actor)

    def saved(self, obj):
        return redirect("projects:task", pk=obj.pk)

    def form_context(self, form, instance) -> dict:
        project = self.the_project()
        return {"title": f"Edit {instance}" if instance else f"New task in {project}",
                "project": project}  # fmt: skip


class TaskView(ProjectsPage, DetailPage):
    """A task: its facts, dependencies, subtasks, comments and time logged."""

    template_name = "projects/task.html"

    def object(self):
        return self.get_row(selectors.task_rows(), self.kwargs["pk"])

    def detail_context(self, task) -> dict:
        return {
            "project": task.project,
            "depends_on": task.depends_on.order_by("due_date", "id"),
            "dependants": task.dependants.order_by("start_date", "id"),
            "subtasks": task.subtasks.select_related("column").order_by("position"),
            "comments": selectors.comment_rows().filter(task=task),
            "time_logs": selectors.time_log_rows().filter(task=task)[:100],
            "checklist": selectors.checklist_rows().filter(task=task),
            "attachments": selectors.attachment_rows().filter(task=task),
            "comment_form": forms.CommentForm(),
            "time_form": forms.TimeLogForm(initial={"work_date": timezone.localdate()}),
        }


class CommentView(ProjectsPage, ActionPage):
    def act(self) -> str:
        task = self.get_row(selectors.task_rows(), self.kwargs["pk"])
        form = forms.CommentForm(self.request.POST)
        if not form.is_valid():
            raise ValidationError(form.errors)
        comments.comment_create(task=task, body=form.cleaned_data["body"], actor=self.actor)
        return "Comment added."

    def done(self):
        return redirect("projects:task", pk=self.kwargs["pk"])


class TimeLogView(ProjectsPage, ActionPage):
    def act(self) -> str:
        if not tenant_has_feature(TIME_TRACKING):
            raise ValidationError("Time tracking is not included in your plan.")
        task = self.get_row(selectors.task_rows(), self.kwargs["pk"])
        form = forms.TimeLogForm(self.request.POST)
        if not form.is_valid():
            raise ValidationError(form.errors)
        data = {k: v for k, v in form.cleaned_data.items() if v is not None and v != ""}
        time.time_log_create(task=task, actor=self.actor, **data)
        return "Time logged."

    def done(self):
        return redirect("projects:task", pk=self.kwargs["pk"])


class MyTasksView(ProjectsPage):
    """My open tasks across projects: overdue, due this week, later."""

    section = "my-tasks"
    template_name = "projects/my_tasks.html"

    def get(self, request):
        today = timezone.localdate()
        rows = list(selectors.my_tasks(request.user)[:300])
        week = today + timedelta(days=7)
        return self.render(
            overdue=[t for t in rows if t.due_date and t.due_date < today],
            soon=[t for t in rows if t.due_date and today <= t.due_date <= week],
            later=[t for t in rows if not t.due_date or t.due_date > week],
            today=today,
        )


class TemplatesView(ProjectsPage):
    section = "templates"
    template_name = "projects/templates.html"

    def get(self, request):
        return self.render(templates=ProjectTemplate.objects.order_by("name"))


class TimelineView(ProjectsPage):
    """The Gantt chart of a project (server-drawn SVG): bars from start to due date,
    dependency arrows, milestones as diamonds, today's line. A Pro feature."""

    template_name = "projects/timeline.html"

    def get(self, request, pk):
        project = self.project()
        if not tenant_has_feature(TIMELINE):
            return self.render("projects/timeline_locked.html", status=403, project=project)
        rows = list(selectors.task_rows().filter(project=project).order_by(
            "start_date", "due_date", "id")[:500])  # fmt: skip
        chart = timeline.gantt(rows, list(project.milestones.all()), today=timezone.localdate())
        return self.render(project=project, chart=chart)


# --- Checklists and attachments of a task -----------------------------------------------------


class TaskActionPage(ProjectsPage, ActionPage):
    """A button on the task page: its task (404 to whoever does not see it), then back."""

    def task(self):
        return self.get_row(selectors.task_rows(), self.kwargs["pk"], "change")

    def done(self):
        return redirect("projects:task", pk=self.kwargs["pk"])


class ChecklistView(TaskActionPage):
    """Add a step (`text`), tick one off or back (`item`, `done`=1/0), or delete one
    (`item`, `delete`=1)."""

    def act(self) -> str:
        task = self.task()
        post = self.request.POST
        if not post.get("item"):
            checklists.checklist_item_create(task=task, text=post.get("text", "")[:300],
                                             actor=self.actor)  # fmt: skip
            return "Step added."
        item = ChecklistItem.objects.filter(task=task, pk=post["item"] if post["item"].isdigit()
                                            else 0).first()  # fmt: skip
        if item is None:
            raise ValidationError({"item": "No such step."})
        if post.get("delete"):
            checklists.checklist_item_delete(checklist_item=item, actor=self.actor)
            return "Step deleted."
        checklists.checklist_item_update(checklist_item=item, done=post.get("done") == "1",
                                         actor=self.actor)  # fmt: skip
        return "Step done." if item.done else "Step open again."


class AttachmentUploadView(TaskActionPage):
    def act(self) -> str:
        task = self.task()
        file = self.request.FILES.get("file")
        if file is None:
            raise ValidationError({"file": "Choose a file."})
        attachments.attachment_add(task=task, file=file, actor=self.actor)
        return "File attached."


class AttachmentDeleteView(TaskActionPage):
    def act(self) -> str:
        task = self.get_row(selectors.task_rows(), self.kwargs["pk"])
        attachment = self.get_row(selectors.attachment_rows().filter(task=task),
                                  self.kwargs["file"], "delete")  # fmt: skip
        attachments.attachment_delete(attachment=attachment, actor=self.actor)
        return f"{attachment.name} deleted."


class AttachmentDownloadView(ProjectsPage):
    def get(self, request, pk, file):
        task = self.get_row(selectors.task_rows(), pk)
        attachment = selectors.attachment_rows().filter(task=task, pk=file).first()
        if attachment is None:
            raise Http404("No such file.")
        return attachment_file(attachment)


# --- Tasks across projects ---------------------------------------------------------------------

PRIORITY_RANK = Case(*(When(priority=value, then=Value(rank)) for rank, value in enumerate(
    [Priority.URGENT, Priority.HIGH, Priority.NORMAL, Priority.LOW])),
    output_field=IntegerField())  # fmt: skip
#: ?sort= → the order of the list (the default first).
TASK_SORTS = {
    "due": ("Due date", [F("due_date").asc(nulls_last=True), "id"]),
    "priority": ("Priority", ["priority_rank", F("due_date").asc(nulls_last=True), "id"]),
    "updated": ("Recently changed", ["-updated_at", "-id"]),
    "title": ("Title", ["title", "id"]),
    "project": ("Project", ["project__name", "column__position", "position", "id"]),
}


class TaskListView(ProjectsPage, ListPage):
    """The tasks of the projects I see, filtered (project, status column, assignee, priority,
    label, due before/after, open or done), searched, sorted and paginated."""

    section = "tasks"
    template_name = "projects/tasks.html"
    search_fields = ("title", "description")
    filterset_class = TaskFilter

    def rows(self):
        return selectors.task_rows().annotate(priority_rank=PRIORITY_RANK)

    def listed(self):
        sort = self.request.GET.get("sort", "")
        self.sort = sort if sort in TASK_SORTS else "due"
        return super().listed().order_by(*TASK_SORTS[self.sort][1])

    def list_context(self) -> dict:
        user = self.request.user
        visible_projects = selectors.projects_for(user).order_by("name")
        return {
            "sort": self.sort,
            "sorts": [(key, label) for key, (label, _) in TASK_SORTS.items()],
            "projects": visible_projects.only("pk", "name"),
            "column_names": Column.objects.filter(project__in=visible_projects.values("pk"))
            .order_by("name").values_list("name", flat=True).distinct()[:100],
            "people": User.objects.filter(is_active=True, project_memberships__project__in=
                                          visible_projects.values("pk")).distinct()
            .order_by("username")[:200],
            "priorities": Priority.choices,
            "today": timezone.localdate(),
        }  # fmt: skip


# --- The progress report -----------------------------------------------------------------------


class ReportView(ProjectsPage):
    """A project's progress: burn-down of the remaining estimate, hours by person and per
    week, the budget used (hours and money), with charts."""

    template_name = "projects/report.html"

    def get(self, request, pk):
        project = self.project()
        return self.render(project=project,
                           **reports.progress(project, today=timezone.localdate()))  # fmt: skip


# --- Notifications -----------------------------------------------------------------------------


class NotificationsView(ProjectsPage, ListPage):
    """My notifications, newest first, the unread ones marked."""

    section = "notifications"
    template_name = "projects/notifications.html"

    def rows(self):
        return selectors.notification_rows().select_related("task__project", "actor")

    def listed(self):
        rows = super().listed()
        if self.request.GET.get("unread"):
            rows = rows.filter(read_at__isnull=True)
        return rows


class NotificationReadView(ProjectsPage, ActionPage):
    """Mark one notification read (pk) and open its task, or every one read (no pk)."""

    def act(self) -> str:
        if "pk" not in self.kwargs:
            count = notifications.notifications_read_all(user=self.request.user, actor=self.actor)
            return f"{count} marked read." if count else ""
        self.notification = self.get_row(selectors.notification_rows(), self.kwargs["pk"])
        notifications.notification_read(notification=self.notification, actor=self.actor)
        return ""

    def done(self):
        if "pk" in self.kwargs and getattr(self, "notification", None) is not None:
            return redirect("projects:task", pk=self.notification.task_id)
        return redirect("projects:notifications")
