"""Catalog app "Project Management" (DESIGN.md §2), declared ahead of its build: its area is
licensed and role-checked already (roles grant it, the launcher shows it); every other slot
stays empty until the app is built."""

from apps.core.kit import appconfig
from apps.core.kit.declaration import AppDeclaration, Area, LauncherEntry

DECLARATION = AppDeclaration(
    key="projects",
    name="Project Management",
    areas=(Area("projects", "Project Management", pages="projects", api="projects"),),
    launcher=(LauncherEntry("projects", "Project Management", "kanban", "/projects/"),),
    pages=None,
    api=None,
    initialiser=None,
    demo_seeder=None,
    usage_counters={},
    party_directory=None,
    admin_features={},
    planned=True,
)


class ProjectsConfig(appconfig.CatalogAppConfig):
    name = "apps.projects"
    label = "projects"
    verbose_name = "Project Management"
    declaration = DECLARATION
