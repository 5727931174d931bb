"""factory_boy factories of Project Management rows (run inside the tenant's schema). Fixture
data, not product writes: no audit rows, no permissions (tests that need members use the
services, see conftest.Crew.member)."""

from decimal import Decimal

import factory
from django.core.files.base import ContentFile
from django.utils import timezone

from apps.identity.models import User
from apps.projects.constants import DEFAULT_COLUMNS
from apps.projects.models import (
    ChecklistItem,
    Column,
    Comment,
    Milestone,
    Notification,
    Project,
    ProjectTemplate,
    Task,
    TaskAttachment,
    TimeLog,
)


class ProjectFactory(factory.django.DjangoModelFactory):
    """A project with the default board columns."""

    class Meta:
        model = Project
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Project {n}")
    status = "active"

    @factory.post_generation
    def columns(self, create, extracted, **kwargs):
        if not create:
            return
        for position, (name, wip_limit, is_done) in enumerate(extracted or DEFAULT_COLUMNS):
            Column.objects.create(project=self, name=name, position=position,
                                  wip_limit=wip_limit, is_done=is_done)  # fmt: skip


class ColumnFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Column

    project = factory.SubFactory(ProjectFactory)
    name = factory.Sequence(lambda n: f"Stage {n}")
    position = 10


class MilestoneFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Milestone

    project = factory.SubFactory(ProjectFactory)
    name = factory.Sequence(lambda n: f"Milestone {n}")
    due_date = factory.LazyFunction(timezone.localdate)


def _first_column(task) -> Column:
    return task.project.columns.order_by("position").first()


class TaskFactory(factory.django.DjangoModelFactory):
    """A card at the bottom of its column (default: the project's first)."""

    class Meta:
        model = Task

    project = factory.SubFactory(ProjectFactory)
    column = factory.LazyAttribute(_first_column)
    position = factory.LazyAttribute(lambda task: task.column.tasks.count())
    title = factory.Sequence(lambda n: f"Task {n}")


def _someone():
    return User.objects.filter(is_superuser=True).order_by("pk").first()


class TimeLogFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TimeLog

    task = factory.SubFactory(TaskFactory)
    user = factory.LazyFunction(_someone)
    work_date = factory.LazyFunction(timezone.localdate)
    hours = Decimal("1.50")
    rate = Decimal("40.00")


class CommentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Comment

    task = factory.SubFactory(TaskFactory)
    author = factory.LazyFunction(_someone)
    body = factory.Sequence(lambda n: f"Remark {n}")


class TemplateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProjectTemplate

    name = factory.Sequence(lambda n: f"Template {n}")
    milestones = factory.LazyFunction(lambda: [{"name": "Done", "offset_days": 5}])
    tasks = factory.LazyFunction(lambda: [
        {"title": "First", "start_offset_days": 0, "duration_days": 2, "estimate_hours": "3",
         "milestone": None, "depends_on": [], "priority": "normal", "labels": []},
        {"title": "Second", "start_offset_days": 2, "duration_days": 3, "estimate_hours": "5",
         "milestone": 0, "depends_on": [0], "priority": "high", "labels": []},
    ])  # fmt: skip


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


class ChecklistItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ChecklistItem

    task = factory.SubFactory(TaskFactory)
    text = factory.Sequence(lambda n: f"Step {n}")
    position = factory.Sequence(lambda n: n)


class AttachmentFactory(factory.django.DjangoModelFactory):
    """A small PNG under the tenant's storage prefix."""

    class Meta:
        model = TaskAttachment

    task = factory.SubFactory(TaskFactory)
    name = "photo.png"
    content_type = "image/png"
    size = len(PNG)
    file = factory.LazyFunction(lambda: ContentFile(PNG, name="photo.png"))
    uploaded_by = factory.LazyFunction(_someone)


class NotificationFactory(factory.django.DjangoModelFactory):
    """A notification for the tenant's first super admin."""

    class Meta:
        model = Notification

    user = factory.LazyFunction(_someone)
    kind = "assigned"
    task = factory.SubFactory(TaskFactory)
    message = factory.Sequence(lambda n: f"Someone assigned you task {n}")
