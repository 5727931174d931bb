"""Lead-to-cash: a project's records in other apps, reached through the core registry only
(`registry.operation`, None where the tenant's licence lacks the other app: then nothing is
offered and nothing is done).

- started for a CRM opportunity (`project_started_for`, the CRM's "Start project");
- delivering an ISP service order (`project_link_set(role="service")`): when the project's
  final milestone is reached (marked done, or every one of its tasks complete) the service is
  activated through `isp.service_activate` — its first invoice — once (`reached_at`);
- its billable time not yet charged goes on the ISP customer's next invoice
  (`billable_time_charge` through `isp.charges_add`), each log once (TimeLogCharge).
"""

import datetime
import logging
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from apps.core.audit import audit_created, audit_updated, snapshot
from apps.core.exceptions import AppNotSubscribedError, ConflictError, DomainError
from apps.core.kit.writes import record_create, record_delete, record_update
from apps.core.parties import PartyFacts
from apps.core.registry import registry
from apps.identity.access import granted_areas
from apps.projects.constants import AREA
from apps.projects.models import Milestone, Project, ProjectLink, TimeLog, TimeLogCharge
from apps.projects.services.access import ensure_may, user_of

logger = logging.getLogger(__name__)

Role = ProjectLink.Role
#: role → (app, the operation showing one of its records).
LINKED = {Role.ORIGIN: ("crm", "crm.opportunity_facts"), Role.SERVICE: ("isp", "isp.service_facts")}
#: The longest span of a billable-time export (days).
MAX_EXPORT_DAYS = 366
#: Most time logs charged at once.
MAX_CHARGED = 500


def _facts_of(role: str, ref: str) -> PartyFacts | None:
    facts = registry.operation(LINKED[role][1])
    return None if facts is None else facts(ref=ref)


def link_offered(role: str) -> bool:
    """The tenant has the app a link of this role is to (else: nothing is offered)."""
    return registry.operation(LINKED[role][1]) is not None


def project_links_shown(project: Project) -> list[dict]:
    """The project's linked records the tenant's apps show: {"role", "label", "facts"}."""
    shown = []
    for link in project.links.all():
        if link.role not in LINKED or not link_offered(link.role):
            continue
        facts = _facts_of(link.role, link.ref)
        if facts is not None:
            shown.append({"role": link.role, "label": link.get_role_display(), "facts": facts,
                          "reached_at": link.reached_at})  # fmt: skip
    return shown


@transaction.atomic
def project_link_set(*, project: Project, role: str, ref, actor=None) -> ProjectLink | None:
    """Link the project to record `ref` of the role's app (an empty `ref` unlinks). The app
    must be licensed and the record exist there."""
    ensure_may(actor, project, "change", "link the project to other apps' records")
    if role not in LINKED:
        raise ValidationError({"role": f'"{role}" is not a valid choice.'})
    app, _ = LINKED[role]
    if not link_offered(role):
        raise AppNotSubscribedError(f"Your organisation does not subscribe to the {app} app.")
    ref = str(ref or "").strip()[:64]
    current = ProjectLink.objects.select_for_update().filter(project=project, role=role).first()
    if not ref:
        if current is not None:
            record_delete(current, actor=actor)
        return None
    if _facts_of(role, ref) is None:
        raise ValidationError({"ref": f"No {app} record {ref}."})
    if current is not None:
        if current.ref != ref:
            record_update(current, {"ref": ref, "app": app}, actor=actor)
        return current
    link = record_create(ProjectLink(project=project, role=role, app=app, ref=ref), actor=actor)
    final_milestone_check(project=project, actor=actor)
    return link


def may_start_projects(actor) -> bool:
    user = user_of(actor)
    return user is not None and user.is_active and (user.is_superuser
                                                    or AREA in granted_areas(user))  # fmt: skip


@transaction.atomic
def origin_link_add(*, project: Project, app: str, ref, actor=None) -> ProjectLink:
    """The project was started for record `ref` of `app` (the CRM's won opportunity; that app
    vouches for the record)."""
    if app != LINKED[Role.ORIGIN][0]:
        raise ValidationError({"app": f"A project is not started for {app} records."})
    return record_create(ProjectLink(project=project, role=Role.ORIGIN, app=app,
                                     ref=str(ref)[:64]), actor=actor)  # fmt: skip


def projects_linked(app: str, ref) -> list[Project]:
    return list(Project.objects.filter(links__app=app, links__ref=str(ref)).order_by("pk"))


def page_links(project, *, may_manage: bool, query: str = "") -> dict:
    """What the project page shows of the project's records in other apps."""
    shown = project_links_shown(project)
    service_offered = link_offered(Role.SERVICE)
    service = next((item for item in shown if item["role"] == Role.SERVICE), None)
    candidates = []
    if service_offered and may_manage and service is None:
        pending = registry.operation("isp.services_pending")
        candidates = pending(query=query, limit=20) if pending else []
    uncharged = billable_uncharged(project).count() if service else 0
    return {"linked": shown, "service_offered": service_offered, "service": service,
            "service_candidates": candidates, "uncharged_logs": uncharged}  # fmt: skip


# --- The final milestone --------------------------------------------------------------------


def final_milestone(project: Project) -> Milestone | None:
    """The last milestone of the plan (latest due; undated last), None without milestones."""
    return project.milestones.order_by("due_date", "id").last()


def _reached(milestone: Milestone | None) -> bool:
    if milestone is None:
        return False
    if milestone.done:
        return True
    tasks = milestone.tasks.all()
    return tasks.exists() and not tasks.filter(completed_at__isnull=True).exists()


def final_milestone_check(*, project: Project, actor=None) -> dict | None:
    """The final milestone reached: activate the linked ISP service (once). A refusal of the
    ISP's (the service terminated meanwhile) is logged and does not undo the caller's write.
    Answers what the ISP answered (None: nothing done; a service no longer pending is left
    as it is, and the link counts as delivered)."""
    link = (
        ProjectLink.objects.select_for_update()
        .filter(project=project, role=Role.SERVICE, reached_at__isnull=True)
        .first()
    )
    if link is None or not _reached(final_milestone(project)):
        return None
    activate = registry.operation("isp.service_activate")
    if activate is None:
        return None
    try:
        with transaction.atomic():
            answer = activate(ref=link.ref, actor=actor)
    except (DomainError, ValidationError) as error:
        logger.warning("project %s: service %s not activated: %s", project.pk, link.ref, error)
        return None
    before = snapshot(link, fields=["reached_at"])
    link.reached_at = timezone.now()
    link.save(update_fields=["reached_at"])
    audit_updated(link, before, actor=actor, action="deliver")
    return answer


def task_completed(task, *, actor=None) -> None:
    """Hook of the task services: a task of the final milestone was completed."""
    if (
        task.milestone_id
        and ProjectLink.objects.filter(
            project=task.project_id, role=Role.SERVICE, reached_at__isnull=True
        ).exists()
    ):
        final_milestone_check(project=task.project, actor=actor)


def milestone_done(milestone: Milestone, *, actor=None) -> None:
    """Hook of the milestone services: a milestone was marked done."""
    final_milestone_check(project=milestone.project, actor=actor)


# --- Billable time --------------------------------------------------------------------------


def billable_time(project: Project):
    return (TimeLog.objects.filter(task__project=project, billable=True)
            .select_related("task", "user", "charge").order_by("work_date", "id"))  # fmt: skip


def billable_uncharged(project: Project):
    return billable_time(project).filter(charge__isnull=True)


def _description(log: TimeLog) -> str:
    who = log.user.get_full_name() or log.user.get_username()
    return f"{log.task.title}: {log.hours} h by {who} on {log.work_date:%d %b %Y}"


@transaction.atomic
def billable_time_charge(*, project: Project, actor=None) -> int:
    """Put the project's billable time not yet charged on the next invoice of the customer of
    its linked ISP service; each log is marked charged, never billed twice. Answers how many
    (0: nothing left to charge; ConflictError without a linked service)."""
    ensure_may(actor, project, "change", "invoice the project's time")
    charges_add = registry.operation("isp.charges_add")
    if charges_add is None:
        raise AppNotSubscribedError("Your organisation does not subscribe to the ISP app.")
    link = ProjectLink.objects.filter(project=project, role=Role.SERVICE).first()
    if link is None:
        raise ConflictError("Link the project to an ISP service first.")
    Project.objects.select_for_update().filter(pk=project.pk).first()  # one charging at a time
    logs = list(billable_uncharged(project).select_for_update(of=("self",))[:MAX_CHARGED])
    logs = [log for log in logs if log.hours * log.rate > 0]
    if not logs:
        return 0
    charges_add(service_ref=link.ref, actor=actor, charges=[
        {"source": f"projects.timelog:{log.pk}", "description": _description(log),
         "amount": str((log.hours * log.rate).quantize(Decimal("0.01")))}
        for log in logs
    ])  # fmt: skip
    made = TimeLogCharge.objects.bulk_create(
        [TimeLogCharge(time_log=log, app="isp", ref=link.ref) for log in logs]
    )
    for charge in made:
        audit_created(charge, actor=actor)
    return len(logs)


def export_span(start, end) -> tuple[datetime.date, datetime.date]:
    """The date range of an export, bounded (MAX_EXPORT_DAYS)."""
    try:
        end = datetime.date.fromisoformat(end) if end else timezone.localdate()
        start = datetime.date.fromisoformat(start) if start else end - datetime.timedelta(days=30)
    except (TypeError, ValueError) as error:
        raise ValidationError({"start": "Dates are YYYY-MM-DD."}) from error
    if end < start:
        raise ValidationError({"end": "The end cannot be before the start."})
    if (end - start).days >= MAX_EXPORT_DAYS:
        raise ValidationError({"start": f"At most {MAX_EXPORT_DAYS} days at once."})
    return start, end
