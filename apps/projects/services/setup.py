"""What every tenant's Project Management starts with (the app's tenant initialiser)."""

from django.contrib.auth.models import Permission
from django.db import transaction

from apps.core.audit import audit_record
from apps.identity.access import invalidate
from apps.identity.models import Role
from apps.projects.models import ProjectTemplate
from apps.projects.services.templates import template_create

ADMIN_ROLE = "Projects Admin"
#: The model-wide permissions that make a role see and manage every project.
ADMIN_PERMISSIONS = [
    f"{action}_{model}"
    for model in ("project", "projectmember", "milestone", "column", "task", "timelog",
                  "comment", "projecttemplate", "checklistitem", "taskattachment")
    for action in ("view", "add", "change", "delete")
]  # fmt: skip

#: The templates a tenant starts with (editable), after the ISP's usual jobs.
DEFAULT_TEMPLATES = (
    {
        "name": "Fibre installation",
        "description": "Connecting one customer premises to the fibre network.",
        "milestones": [{"name": "Survey done", "offset_days": 2},
                       {"name": "Service live", "offset_days": 10}],
        "tasks": [
            {"title": "Site survey", "start_offset_days": 0, "duration_days": 2,
             "estimate_hours": "3", "milestone": 0},
            {"title": "Wayleave and permits", "start_offset_days": 2, "duration_days": 3,
             "estimate_hours": "2", "depends_on": [0]},
            {"title": "Lay drop cable", "start_offset_days": 5, "duration_days": 2,
             "estimate_hours": "6", "depends_on": [1], "labels": ["field"]},
            {"title": "Splice and test", "start_offset_days": 7, "duration_days": 1,
             "estimate_hours": "3", "depends_on": [2], "labels": ["field"]},
            {"title": "Install ONT and activate", "start_offset_days": 8, "duration_days": 2,
             "estimate_hours": "2", "depends_on": [3], "milestone": 1},
        ],
    },
    {
        "name": "Network build-out",
        "description": "Extending the network to a new area.",
        "milestones": [{"name": "Design approved", "offset_days": 14},
                       {"name": "Backbone lit", "offset_days": 60},
                       {"name": "Area ready for sale", "offset_days": 90}],
        "tasks": [
            {"title": "Demand survey", "start_offset_days": 0, "duration_days": 7,
             "estimate_hours": "20"},
            {"title": "Network design", "start_offset_days": 7, "duration_days": 7,
             "estimate_hours": "40", "depends_on": [0], "milestone": 0},
            {"title": "Civil works", "start_offset_days": 14, "duration_days": 30,
             "estimate_hours": "300", "depends_on": [1], "priority": "high"},
            {"title": "Backbone fibre and POP", "start_offset_days": 44, "duration_days": 16,
             "estimate_hours": "160", "depends_on": [2], "milestone": 1},
            {"title": "Distribution and cabinets", "start_offset_days": 60, "duration_days": 20,
             "estimate_hours": "200", "depends_on": [3]},
            {"title": "Acceptance tests", "start_offset_days": 80, "duration_days": 10,
             "estimate_hours": "40", "depends_on": [4], "milestone": 2},
        ],
    },
)  # fmt: skip


@transaction.atomic
def projects_defaults_ensure(**_) -> None:
    """Tenant initialiser: the default templates and the "Projects Admin" role's permissions
    exist (created once; later edits are kept)."""
    if not ProjectTemplate.objects.exists():
        for template in DEFAULT_TEMPLATES:
            template_create(**template)
    role = Role.objects.filter(name=ADMIN_ROLE).first()
    if (
        role is not None
        and not role.permissions.filter(content_type__app_label="projects").exists()
    ):
        permissions = Permission.objects.filter(content_type__app_label="projects",
                                                codename__in=ADMIN_PERMISSIONS)  # fmt: skip
        role.permissions.add(*permissions)
        audit_record(
            action="update", instance=role,
            changes={"permissions": [[], sorted(p.codename for p in permissions)]},
        )  # fmt: skip
        transaction.on_commit(invalidate)
