"""Catalog app "Project Management": projects with members, milestones, boards of tasks with
dependencies, time logs, templates and comments. Its declaration is what the platform knows
of it."""

from apps.core.kit import appconfig
from apps.core.kit.declaration import AppDeclaration, Area, LauncherEntry, Tab

DECLARATION = AppDeclaration(
    key="projects",
    name="Project Management",
    areas=(
        Area(
            "projects", "Project Management", pages="projects", api="projects",
            tabs=(
                Tab("Projects", "projects:home", "projects"),
                Tab("Tasks", "projects:tasks", "tasks"),
                Tab("My tasks", "projects:my-tasks", "my-tasks"),
                Tab("Notifications", "projects:notifications", "notifications"),
                Tab("Templates", "projects:templates", "templates"),
            ),
        ),
    ),
    launcher=(LauncherEntry("projects", "Project Management", "kanban", "/projects/"),),
    pages="apps.projects.urls",
    api="apps.projects.api.urls",
    initialiser="apps.projects.services.setup.projects_defaults_ensure",
    demo_seeder="apps.projects.demo.projects_demo_ensure",
    usage_counters={"projects.max_projects": "apps.projects.usage.projects_count"},
    party_directory="apps.projects.parties.ProjectDirectory",
    operations={
        # lead-to-cash (the CRM's won opportunities)
        "templates_list": "apps.projects.operations.templates_list",
        "project_from_template": "apps.projects.operations.project_from_template",
        "projects_linked": "apps.projects.operations.projects_linked",
    },
    admin_features={},
    order=60,
)  # fmt: skip


class ProjectsConfig(appconfig.CatalogAppConfig):
    name = "apps.projects"
    label = "projects"
    verbose_name = "Project Management"
    declaration = DECLARATION
