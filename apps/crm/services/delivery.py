"""A won opportunity delivered: a project started for it in Project Management, through the
core registry (`projects.*` operations, None where the tenant has no Projects licence: then the
CRM offers nothing, and the API answers APP_NOT_SUBSCRIBED)."""

from apps.core.exceptions import AppNotSubscribedError, ConflictError
from apps.core.parties import PartyFacts
from apps.core.registry import registry
from apps.crm.constants import APP_KEY, StageKind
from apps.crm.models import Opportunity

START = "projects.project_from_template"


def project_templates(actor) -> list[tuple[int, str]]:
    """The templates `actor` may start a project from ([]: Projects not licensed, or not for
    them)."""
    listed = registry.operation("projects.templates_list")
    return [] if listed is None else listed(actor=actor)


def opportunity_projects(opportunity: Opportunity) -> list[PartyFacts]:
    """The projects started for the opportunity (none shown without Projects)."""
    linked = registry.operation("projects.projects_linked")
    return [] if linked is None else linked(app=APP_KEY, ref=opportunity.pk)


def opportunity_start_project(*, opportunity: Opportunity, template, name: str = "",
                              actor=None) -> PartyFacts:  # fmt: skip
    """Start a project from `template` (its id) for the won opportunity, linked back to it."""
    start = registry.operation(START)
    if start is None:
        raise AppNotSubscribedError("Your organisation does not subscribe to Project Management.")
    if opportunity.stage.kind != StageKind.WON:
        raise ConflictError("Only a won opportunity starts a project.")
    return start(template=template, name=name or opportunity.name,
                 link=(APP_KEY, opportunity.pk), actor=actor)  # fmt: skip
