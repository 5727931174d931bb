"""Every Project Management resource on the generic resource tests (tests/projects/resource.py):
list, retrieve, create, update, delete, 401/403, licence, cross-tenant 404s, audit and the
recorded query count."""

import pytest

from apps.projects.models import Column
from tests.projects.factories import (
    AttachmentFactory,
    ChecklistItemFactory,
    ColumnFactory,
    CommentFactory,
    MilestoneFactory,
    NotificationFactory,
    ProjectFactory,
    TaskFactory,
    TemplateFactory,
    TimeLogFactory,
)
from tests.projects.resource import ProjectResourceTests


class TestProjects(ProjectResourceTests):
    path = "/api/v1/projects/projects/"
    resource_type = "project"
    factory = ProjectFactory
    create_data = {"name": "Fibre for the harbour", "status": "planned",
                   "start_date": "2026-03-01", "end_date": "2026-04-30",
                   "budget_hours": "120.00", "budget_amount": "9000.00"}  # fmt: skip
    update_data = {"status": "active", "budget_hours": "150.00"}
    invalid_data = {"name": "", "end_date": "2026-01-01", "start_date": "2026-02-01"}


class TestMilestones(ProjectResourceTests):
    path = "/api/v1/projects/milestones/"
    resource_type = "milestone"
    factory = MilestoneFactory
    update_data = {"name": "Backbone lit", "done": True}

    def create_data(self):
        return {"project": ProjectFactory().pk, "name": "Design approved",
                "due_date": "2026-05-01"}  # fmt: skip


class TestColumns(ProjectResourceTests):
    path = "/api/v1/projects/columns/"
    resource_type = "column"
    factory = ColumnFactory
    update_data = {"name": "Waiting for parts", "wip_limit": 4}

    def create_data(self):
        return {"project": ProjectFactory().pk, "name": "Blocked", "wip_limit": 2}


class TestTasks(ProjectResourceTests):
    path = "/api/v1/projects/tasks/"
    resource_type = "task"
    factory = TaskFactory
    update_data = {"title": "Splice the closure", "priority": "high", "labels": ["field"],
                   "estimate_hours": "4.50", "due_date": "2026-06-10"}  # fmt: skip
    invalid_data = {"title": "", "project": 987_654_321}

    def create_data(self):
        project = ProjectFactory()
        column = Column.objects.filter(project=project, name="To do").get()
        return {"project": project.pk, "column": column.pk, "title": "Survey the site",
                "priority": "urgent", "start_date": "2026-06-01", "due_date": "2026-06-03",
                "estimate_hours": "3.00"}  # fmt: skip


@pytest.mark.usefixtures("time_tracking")
class TestTimeLogs(ProjectResourceTests):
    path = "/api/v1/projects/time-logs/"
    resource_type = "timelog"
    factory = TimeLogFactory
    update_data = {"hours": "2.25", "billable": False, "note": "Waited for the landlord"}
    invalid_data = {"task": 987_654_321, "hours": "30"}

    def create_data(self):
        return {"task": TaskFactory().pk, "hours": "3.50", "work_date": "2026-01-15",
                "billable": True, "rate": "45.00", "note": "Survey"}  # fmt: skip


class TestComments(ProjectResourceTests):
    path = "/api/v1/projects/comments/"
    resource_type = "comment"
    factory = CommentFactory
    update_data = {"body": "Splice closure arrives Tuesday."}
    invalid_data = {"body": ""}

    def create_data(self):
        return {"task": TaskFactory().pk, "body": "Wayleave signed, @owner."}


class TestTemplates(ProjectResourceTests):
    path = "/api/v1/projects/templates/"
    resource_type = "project_template"
    factory = TemplateFactory
    update_data = {"description": "For a single dwelling."}
    invalid_data = {"name": "Broken", "tasks": [{"title": "", "start_offset_days": -1}]}
    create_data = {
        "name": "Small business install", "description": "An office on fibre.",
        "milestones": [{"name": "Live", "offset_days": 7}],
        "tasks": [{"title": "Survey", "start_offset_days": 0, "duration_days": 1},
                  {"title": "Install", "start_offset_days": 3, "duration_days": 2,
                   "depends_on": [0], "milestone": 0}],
    }  # fmt: skip


class TestChecklistItems(ProjectResourceTests):
    path = "/api/v1/projects/checklist-items/"
    resource_type = "checklist_item"
    factory = ChecklistItemFactory
    update_data = {"text": "Photograph the closure", "done": True}
    invalid_data = {"task": 987_654_321, "text": ""}

    def create_data(self):
        return {"task": TaskFactory().pk, "text": "Check the wayleave", "done": False}


class TestAttachments(ProjectResourceTests):
    """Uploaded with POST tasks/{id}/attachments/ (tests/projects/test_checklists_files.py)."""

    path = "/api/v1/projects/attachments/"
    resource_type = "taskattachment"
    factory = AttachmentFactory
    operations = {"list", "retrieve", "delete"}


class TestNotifications(ProjectResourceTests):
    """Written by the services (assigned, mentioned, due soon); read and marked read."""

    path = "/api/v1/projects/notifications/"
    resource_type = "notification"
    factory = NotificationFactory
    operations = {"list", "retrieve"}
