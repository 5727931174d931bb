"""Names and choices of Project Management shared by models, services, API and pages."""

from django.db import models

APP_KEY = "projects"
AREA = "projects"
MAX_PROJECTS = "projects.max_projects"
TIMELINE = "projects.timeline"
TIME_TRACKING = "projects.time_tracking"

#: What a member and a project manager may do to the project itself (object permissions).
MEMBER_ACTIONS = ("view",)
MANAGER_ACTIONS = ("view", "change", "delete")


class ProjectStatus(models.TextChoices):
    PLANNED = "planned", "Planned"
    ACTIVE = "active", "Active"
    ON_HOLD = "on_hold", "On hold"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"


class MemberRole(models.TextChoices):
    MEMBER = "member", "Member"
    MANAGER = "manager", "Project manager"


class Priority(models.TextChoices):
    LOW = "low", "Low"
    NORMAL = "normal", "Normal"
    HIGH = "high", "High"
    URGENT = "urgent", "Urgent"


#: (name, WIP limit, done?): the board columns every new project starts with (editable).
DEFAULT_COLUMNS = (
    ("Backlog", None, False),
    ("To do", None, False),
    ("In progress", 5, False),
    ("Review", 3, False),
    ("Done", None, True),
)

#: Bounds of what one request may size.
MAX_DEPENDENCIES = 50  # depends_on ids of one task
MAX_LABELS = 20
MAX_TEMPLATE_TASKS = 200
MAX_TEMPLATE_MILESTONES = 50
MAX_TEMPLATE_OFFSET_DAYS = 3650
MAX_COLUMNS = 20
MAX_TASK_HOURS = 24  # one time log: at most a day's hours
#: Dependants shifted by one slip, at most (a project's whole chain, bounded).
MAX_SHIFTED = 2000
MAX_CHECKLIST_ITEMS = 100  # steps of one task's checklist
#: Attachments: at most this size, of these types (recognised from the content, not the name).
ATTACHMENT_MAX_BYTES = 10 * 1024 * 1024
ATTACHMENTS_PER_TASK = 50
#: A task is "due soon" this many days ahead (the daily notice, apps.projects.tasks).
DUE_SOON_DAYS = 2
#: Due-soon notices one daily run sends at most (the rest the next day).
MAX_DUE_SOON_PER_RUN = 2000
