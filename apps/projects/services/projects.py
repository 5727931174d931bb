"""Projects, their members (object permissions), milestones and board columns."""

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from guardian.models import UserObjectPermission

from apps.core.audit import audit_record
from apps.core.kit.writes import record_create, record_delete, record_update
from apps.identity.access import granted_areas
from apps.identity.models import User
from apps.identity.objects import object_grant, object_revoke
from apps.platform.licensing.guards import within_limit
from apps.projects.constants import (
    AREA,
    DEFAULT_COLUMNS,
    MANAGER_ACTIONS,
    MAX_COLUMNS,
    MAX_PROJECTS,
    MEMBER_ACTIONS,
    MemberRole,
)
from apps.projects.models import Column, Milestone, Project, ProjectMember
from apps.projects.services import links
from apps.projects.services.access import ensure_may, user_of


@transaction.atomic
def project_create(*, name: str, actor=None, columns=DEFAULT_COLUMNS, **fields) -> Project:
    """A new project (within the plan's `projects.max_projects`), with the default board
    columns; its creator is its first project manager."""
    with within_limit(MAX_PROJECTS):
        project = record_create(Project(name=name, created_by=user_of(actor), **fields),
                                actor=actor)  # fmt: skip
    for position, (column_name, wip_limit, is_done) in enumerate(columns):
        record_create(Column(project=project, name=column_name, position=position,
                             wip_limit=wip_limit, is_done=is_done), actor=actor)  # fmt: skip
    creator = user_of(actor)
    if creator is not None:
        member_add(project=project, user=creator, role=MemberRole.MANAGER, actor=None)
    return project


@transaction.atomic
def project_update(*, project: Project, actor=None, **fields) -> Project:
    ensure_may(actor, project, "change", "change the project")
    record_update(project, fields, actor=actor)
    return project


@transaction.atomic
def project_delete(*, project: Project, actor=None) -> None:
    """Delete a project with its board, tasks and time (its members' access goes with it)."""
    ensure_may(actor, project, "delete", "delete the project")
    for membership in project.members.select_related("user"):
        _revoke(membership, actor=actor)
    record_delete(project, actor=actor)


# --- Members ------------------------------------------------------------------------------------


def _audit_permission_rows(user: User, project: Project, action: str) -> None:
    """The object-permission rows a grant wrote or a revoke is about to remove, each in the
    trail (they are the access itself)."""
    ct = ContentType.objects.get_for_model(Project)
    rows = UserObjectPermission.objects.filter(user=user, content_type=ct,
                                               object_pk=str(project.pk))  # fmt: skip
    for row in rows:
        audit_record(action=action, instance=row, changes={"object": [None, str(project)]})


def _grant(membership: ProjectMember, *, actor) -> None:
    actions = MANAGER_ACTIONS if membership.role == MemberRole.MANAGER else MEMBER_ACTIONS
    object_revoke(user=membership.user, obj=membership.project,
                  actions=tuple(a for a in MANAGER_ACTIONS if a not in actions))  # fmt: skip
    object_grant(user=membership.user, obj=membership.project, actions=actions)
    _audit_permission_rows(membership.user, membership.project, "share")


def _revoke(membership: ProjectMember, *, actor) -> None:
    _audit_permission_rows(membership.user, membership.project, "unshare")
    object_revoke(user=membership.user, obj=membership.project, actions=MANAGER_ACTIONS)


@transaction.atomic
def member_add(*, project: Project, user: User, role: str = MemberRole.MEMBER,
               actor=None) -> ProjectMember:  # fmt: skip
    """Make `user` a member (or a project manager) of the project, or change their role. Only
    an active user whose roles open Project Management can be one."""
    ensure_may(actor, project, "change", "change who works on the project")
    if not user.is_active or AREA not in granted_areas(user):
        raise ValidationError(
            {"user": f"{user.get_username()} cannot join projects (no role opens Projects)."}
        )
    if role not in MemberRole.values:
        raise ValidationError({"role": f'"{role}" is not a valid choice.'})
    membership = ProjectMember.objects.select_for_update().filter(project=project,
                                                                  user=user).first()  # fmt: skip
    if membership is None:
        membership = record_create(ProjectMember(project=project, user=user, role=role),
                                   actor=actor)  # fmt: skip
    elif membership.role != role:
        _ensure_a_manager_stays(membership, new_role=role)
        record_update(membership, {"role": role}, actor=actor)
    else:
        return membership
    _grant(membership, actor=actor)
    return membership


def _ensure_a_manager_stays(membership: ProjectMember, *, new_role: str | None) -> None:
    if membership.role != MemberRole.MANAGER or new_role == MemberRole.MANAGER:
        return
    others = ProjectMember.objects.filter(project=membership.project, role=MemberRole.MANAGER)
    if not others.exclude(pk=membership.pk).exists():
        raise ValidationError({"user": "A project keeps at least one project manager."})


@transaction.atomic
def member_remove(*, project: Project, user: User, actor=None) -> None:
    ensure_may(actor, project, "change", "change who works on the project")
    membership = ProjectMember.objects.select_for_update().filter(project=project,
                                                                  user=user).first()  # fmt: skip
    if membership is None:
        raise ValidationError({"user": f"{user.get_username()} is not a member."})
    _ensure_a_manager_stays(membership, new_role=None)
    _revoke(membership, actor=actor)
    record_delete(membership, actor=actor)


# --- Milestones -------------------------------------------------------------------------------


@transaction.atomic
def milestone_create(*, project: Project, name: str, actor=None, **fields) -> Milestone:
    ensure_may(actor, project, "change", "plan milestones")
    milestone = Milestone(project=project, name=name, **fields)
    if milestone.done:
        milestone.completed_at = timezone.now()
    return record_create(milestone, actor=actor)


@transaction.atomic
def milestone_update(*, milestone: Milestone, actor=None, **fields) -> Milestone:
    fields.pop("project", None)  # a milestone stays in its project
    reached = "done" in fields and fields["done"] and not milestone.done
    if "done" in fields and fields["done"] != milestone.done:
        fields["completed_at"] = timezone.now() if fields["done"] else None
    record_update(milestone, fields, actor=actor)
    if reached:
        links.milestone_done(milestone, actor=actor)  # lead-to-cash: the final milestone
    return milestone


@transaction.atomic
def milestone_delete(*, milestone: Milestone, actor=None) -> None:
    record_delete(milestone, actor=actor)


# --- Columns ------------------------------------------------------------------------------------


@transaction.atomic
def column_create(*, project: Project, name: str, position: int | None = None, actor=None,
                  **fields) -> Column:  # fmt: skip
    """A new status column of the project's board (default: last)."""
    ensure_may(actor, project, "change", "change the board's columns")
    Project.objects.select_for_update().filter(pk=project.pk).first()
    if project.columns.count() >= MAX_COLUMNS:
        raise ValidationError({"name": f"A board has at most {MAX_COLUMNS} columns."})
    if position is None:
        last = project.columns.aggregate(last=Max("position"))["last"]
        position = 0 if last is None else last + 1
    return record_create(Column(project=project, name=name, position=position, **fields),
                         actor=actor)  # fmt: skip


@transaction.atomic
def column_update(*, column: Column, actor=None, **fields) -> Column:
    fields.pop("project", None)
    record_update(column, fields, actor=actor)
    return column


@transaction.atomic
def column_delete(*, column: Column, actor=None) -> None:
    """Delete an empty column (one holding tasks is refused: move them first)."""
    record_delete(column, actor=actor)


__all__ = [
    "column_create", "column_delete", "column_update", "member_add", "member_remove",
    "milestone_create", "milestone_delete", "milestone_update",
    "project_create", "project_delete", "project_update",
]  # fmt: skip
