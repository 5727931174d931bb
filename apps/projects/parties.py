"""Projects as seen by other apps (apps.core.parties): the CRM opportunity or ISP service
order a project was started for links to it and shows its progress, without importing it."""

from django.db.models import Q
from django.urls import reverse

from apps.core.parties import PartyFacts
from apps.projects import selectors
from apps.projects.models import Project


def _facts(project: Project) -> PartyFacts:
    facts = [("Status", project.get_status_display()),
             ("Tasks done", f"{project.done_count} of {project.task_count}"),
             ("Hours logged", f"{project.logged_hours:.2f}")]  # fmt: skip
    if project.end_date:
        facts.append(("Ends", project.end_date.isoformat()))
    return PartyFacts(app="projects", ref=str(project.pk), name=project.name,
                      url=reverse("projects:project", args=[project.pk]),
                      facts=tuple(facts))  # fmt: skip


class ProjectDirectory:
    """PartyDirectory of projects."""

    def facts(self, ref: str) -> PartyFacts | None:
        if not str(ref).isdigit():
            return None
        project = selectors.project_rows().filter(pk=int(ref)).first()
        return _facts(project) if project else None

    def search(self, query: str, limit: int = 10) -> list[PartyFacts]:
        query = (query or "").strip()
        if not query:
            return []
        rows = selectors.project_rows().filter(Q(name__icontains=query)).order_by("name", "id")
        return [_facts(project) for project in rows[: max(1, min(limit, 50))]]
