"""Owners and sharing (see apps.crm.selectors for who sees what).

A record's `owner` sees, edits and deletes it; sharing grants another user view and change
through identity's object permissions; reassignment hands the record to a new owner. Who may:
- own a record: an active user whose roles open the CRM (`ensure_may_own`);
- give a record to someone else: on creation a CRM manager only, afterwards its owner or a CRM
  manager (`ensure_may_give`);
- see a related record named in a write (an opportunity's account): only one the actor sees
  (`ensure_related_visible`), else it reads as not existing.
"""

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models, transaction
from guardian.models import UserObjectPermission

from apps.core.audit import audit_record
from apps.core.exceptions import PermissionDeniedError
from apps.core.kit.writes import record_create, record_update
from apps.crm.constants import AREA, SHARE_ACTIONS
from apps.crm.models import Account, Activity
from apps.crm.selectors import is_manager, visible
from apps.identity.access import granted_areas
from apps.identity.models import User
from apps.identity.objects import object_grant, object_revoke, users_with_access

GIVE_ON_CREATE = "Only a CRM manager can give records to someone else."
GIVE_LATER = "Only the owner or a CRM manager can reassign a record."


def ensure_may_own(user: User | None) -> None:
    """Only an active user whose roles open the CRM can own CRM records."""
    if user is None or not user.is_active or AREA not in granted_areas(user):
        name = user.get_username() if user is not None else "nobody"
        raise ValidationError({"owner": f"{name} cannot own CRM records (no role opens CRM)."})


def ensure_may_give(*, actor: User | None, owner: User, record: models.Model | None = None):
    """`actor` may make `owner` the owner of `record` (a new record: None): a new record a
    user keeps for themselves, or one a CRM manager gives; an existing one its owner or a CRM
    manager hands over. The system (no actor) may."""
    if actor is None or is_manager(actor):
        return
    if record is None:
        if owner.pk != actor.pk:
            raise PermissionDeniedError(GIVE_ON_CREATE)
    elif record.owner_id != actor.pk:
        raise PermissionDeniedError(GIVE_LATER)


def ensure_related_visible(*, actor: User | None, fields: dict) -> None:
    """Each CRM record named in `fields` (an account, a contact...) is one `actor` sees; one
    they do not see is refused exactly like one that does not exist."""
    if actor is None:
        return
    for name, value in fields.items():
        meta = getattr(value, "_meta", None)
        if meta is None or meta.app_label != "crm" or value.pk is None:
            continue
        if not visible(type(value).objects.filter(pk=value.pk), actor, "view").exists():
            raise ValidationError({name: f'Invalid pk "{value.pk}" - object does not exist.'})


def related_records(fields: dict) -> dict:
    """The records among a write's fields (an account, a contact...)."""
    return {name: value for name, value in fields.items() if isinstance(value, models.Model)}


def owned_create(instance: models.Model, *, actor: User | None, owner: User | None):
    """A new record owned by `owner` (default: the actor), who may own it, given by an actor
    who may give it; the records it names are ones the actor sees."""
    owner = owner or actor
    if owner is None:
        raise ValidationError({"owner": "A CRM record needs an owner."})
    ensure_may_give(actor=actor, owner=owner)
    ensure_may_own(owner)
    named = {
        field.name: getattr(instance, field.name)
        for field in instance._meta.concrete_fields
        if field.is_relation and getattr(instance, field.attname) is not None
    }
    ensure_related_visible(actor=actor, fields=named)
    instance.owner = owner
    return record_create(instance, actor=actor)


def _audit_permission_rows(user: User, obj: models.Model, action: str) -> None:
    """The object-permission rows a share wrote or removed, each in the trail."""
    ct = ContentType.objects.get_for_model(obj)
    rows = UserObjectPermission.objects.filter(user=user, content_type=ct, object_pk=str(obj.pk))
    for row in rows:
        audit_record(action=action, instance=row, changes={"object": [None, str(obj)]})
    if action == "unshare":
        audit_record(
            action=action, object_type="guardian.userobjectpermission", object_id=obj.pk,
            object_repr=f"{obj} ✕ {user.get_username()}",
        )  # fmt: skip


@transaction.atomic
def record_share(*, obj: models.Model, user: User, actor: User | None = None) -> None:
    """Let `user` see and edit this record (idempotent)."""
    ensure_may_own(user)
    if getattr(obj, "owner_id", None) == user.pk:
        return
    object_grant(user=user, obj=obj, actions=SHARE_ACTIONS)
    _audit_permission_rows(user, obj, "share")


@transaction.atomic
def record_unshare(*, obj: models.Model, user: User, actor: User | None = None) -> None:
    _audit_permission_rows(user, obj, "unshare")
    object_revoke(user=user, obj=obj)


def shared_with(obj: models.Model) -> list[User]:
    return list(users_with_access(obj).exclude(pk=getattr(obj, "owner_id", None)))


@transaction.atomic
def record_reassign(
    *, obj: models.Model, owner: User, actor: User | None = None, cascade: bool = False
) -> models.Model:
    """Hand a record to a new owner (audited as a reassignment). The previous owner keeps no
    access unless the record is shared with them. `cascade` also hands over an account's
    contacts and opportunities owned by the previous owner, and a record's open activities."""
    ensure_may_give(actor=actor, owner=owner, record=obj)
    ensure_may_own(owner)
    obj = type(obj).objects.select_for_update().get(pk=obj.pk)
    previous = obj.owner
    if previous.pk == owner.pk:
        return obj
    record_update(obj, {"owner": owner}, actor=actor, action="reassign")
    if cascade:
        dependants: list[models.QuerySet] = []
        if isinstance(obj, Account):
            dependants += [obj.contacts.filter(owner=previous), obj.opportunities.filter(
                owner=previous)]  # fmt: skip
        dependants.append(
            Activity.objects.filter(owner=previous, done=False, **{obj._meta.model_name: obj})
        )
        for queryset in dependants:
            for dependant in queryset.order_by("pk"):
                record_reassign(obj=dependant, owner=owner)
    return obj
