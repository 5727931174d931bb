"""What Project Management offers other apps through the core registry (its declaration's
`operations`, called as `registry.operation("projects.<verb>")`, None where the tenant has no
Projects licence). Lead-to-cash: the CRM starts a project for a won opportunity from one of
the tenant's templates and shows the projects started for it."""

from django.core.exceptions import ValidationError
from django.db import transaction

from apps.core.exceptions import PermissionDeniedError
from apps.core.parties import PartyFacts
from apps.projects.models import ProjectTemplate
from apps.projects.parties import ProjectDirectory
from apps.projects.services import links, templates


def templates_list(*, actor=None) -> list[tuple[int, str]]:
    """(id, name) of the tenant's project templates, for a person who may start projects
    (empty for one who may not: the caller then offers nothing)."""
    if not links.may_start_projects(actor):
        return []
    return list(ProjectTemplate.objects.order_by("name", "id").values_list("id", "name")[:200])


def project_from_template(*, template, name: str, link: tuple[str, object], actor=None,
                          start_date=None) -> PartyFacts:  # fmt: skip
    """Start a project named `name` from template `template` (its id), for record `link`
    ((app, reference): a won opportunity), linked back to it. Answers the project's facts."""
    if not links.may_start_projects(actor):
        raise PermissionDeniedError("Starting a project takes a role that opens Projects.")
    found = ProjectTemplate.objects.filter(pk=template if str(template).isdigit() else 0).first()
    if found is None:
        raise ValidationError({"template": "Pick one of the project templates."})
    name = str(name or "").strip()
    if not name:
        raise ValidationError({"name": "This field may not be blank."})
    app, ref = link
    with transaction.atomic():
        project = templates.project_from_template(template=found, name=name[:200],
                                                  start_date=start_date, actor=actor)  # fmt: skip
        links.origin_link_add(project=project, app=app, ref=ref, actor=actor)
    return ProjectDirectory().facts(str(project.pk))


def projects_linked(*, app: str, ref) -> list[PartyFacts]:
    """The projects started for (or delivering) record `ref` of `app`, as facts."""
    directory = ProjectDirectory()
    return [f for p in links.projects_linked(app, ref) if (f := directory.facts(str(p.pk)))]


__all__ = ["project_from_template", "projects_linked", "templates_list"]
