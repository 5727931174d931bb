"""Recording the audit trail (DESIGN.md §7; STYLE.md §4: explicit calls, not signals).

Every write path calls `audit_record` once per object it writes: the base viewset (create,
update, delete through the API), the audited admin (saves and deletes in every console), and
each service that changes state (tenant lifecycle, subscriptions, users and roles, heartbeats).
The call runs inside the write's transaction: a write that is rolled back leaves no entry, and
an entry cannot be lost while its write is kept.

Who, where and through which door come from context variables (apps.core.context) set by the
request middleware, the base viewset (after DRF authentication) and the Celery task signals;
the row goes to the schema of the current connection (public for platform actions, the
tenant's schema for a tenant's).

    before = snapshot(customer)
    customer.name = "New name"
    customer.save()
    audit_record(action="update", instance=customer, changes=diff(before, snapshot(customer)))
"""

import datetime
import decimal
import uuid
from typing import Any

from django.db import connection, models

from apps.core.context import (
    SYSTEM_ACTOR,
    Actor,
    actor_var,
    ip_var,
    request_id_var,
    request_var,
    source_var,
)
from apps.core.encryption import BlindIndexField
from apps.core.models import AuditEntry

__all__ = [
    "CREATE",
    "DELETE",
    "UPDATE",
    "Actor",
    "audit_created",
    "audit_deleted",
    "audit_record",
    "audit_updated",
    "current_actor",
    "diff",
    "mask",
    "personal_fields",
    "snapshot",
]

CREATE, UPDATE, DELETE = AuditEntry.CREATE, AuditEntry.UPDATE, AuditEntry.DELETE

MASK = "***"
#: Fields whose values are never recorded, only the fact that they changed.
SECRET_FIELDS = frozenset(
    {"password", "password_hash", "admin_password_hash", "token", "key", "hashed_key", "secret"}
)
_SECRET_PARTS = ("password", "secret")


def is_secret(field_name: str) -> bool:
    name = field_name.lower()
    return name in SECRET_FIELDS or any(part in name for part in _SECRET_PARTS)


def _json_safe(value: Any) -> Any:
    """Dates, decimals and UUIDs as strings; containers recursively; objects as their str()."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, datetime.timedelta):
        return value.total_seconds()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, dict):
        return {str(key): _json_safe(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_json_safe(item) for item in value]
    if isinstance(value, bytes | memoryview):
        return f"<{len(value)} bytes>"
    if isinstance(value, models.Model):
        return value.pk if isinstance(value.pk, int) else str(value.pk)
    return str(value)


def snapshot(instance: models.Model, fields: list[str] | tuple[str, ...] | None = None) -> dict:
    """The instance's field values, JSON-safe (a foreign key as the related object's id).

    Secrets are kept here so that `diff` sees a password change; `audit_record` masks them
    before anything is stored. Never store a snapshot yourself.
    """
    values = {}
    for field in instance._meta.concrete_fields:
        if fields is not None and field.name not in fields and field.attname not in fields:
            continue
        values[field.name] = _json_safe(field.value_from_object(instance))
    return values


def diff(before: dict | None, after: dict | None) -> dict:
    """{field: [before, after]} for each field whose value differs (a missing side is None)."""
    before, after = before or {}, after or {}
    changes = {}
    for name in [*before, *(key for key in after if key not in before)]:
        old, new = before.get(name), after.get(name)
        if old != new:
            changes[name] = [old, new]
    return changes


def personal_fields(model) -> frozenset[str]:
    """The fields of `model` encrypted at rest, and their blind indexes: the audit trail records
    that they changed, never their values (it would be a plaintext copy of them)."""
    if model is None:
        return frozenset()
    return frozenset(
        f.name
        for f in model._meta.concrete_fields
        if getattr(f, "encrypted", False) or isinstance(f, BlindIndexField)
    )


def mask(changes: dict, personal: frozenset[str] = frozenset()) -> dict:
    """Secrets, and the `personal` (encrypted) fields, replaced by "***" (null and blank stay
    as they are: "no password before" is no secret)."""
    masked = {}
    for name, value in (changes or {}).items():
        if is_secret(name) or name in personal:
            if isinstance(value, list | tuple):
                value = [None if item in (None, "") else MASK for item in value]
            else:
                value = MASK
        elif isinstance(value, dict):
            value = mask(value)
        masked[name] = _json_safe(value)
    return masked


def _actor_of_user(user) -> Actor | None:
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return Actor(user.get_username(), user.pk, AuditEntry.ActorType.USER)


def current_actor() -> Actor:
    """The actor of the current request or task; "system" when there is neither."""
    actor = actor_var.get()
    if actor is not None:
        return actor
    request = request_var.get()
    if request is not None:
        return _actor_of_user(getattr(request, "user", None)) or Actor(
            "anonymous", None, AuditEntry.ActorType.ANONYMOUS
        )
    return SYSTEM_ACTOR


def _actor_type_of(name: str) -> str:
    if name.startswith("task:"):
        return AuditEntry.ActorType.TASK
    if name.startswith("api-key"):
        return AuditEntry.ActorType.API_KEY
    return AuditEntry.ActorType.SYSTEM


def resolve_actor(actor: Any = None) -> Actor:
    """An Actor from what a caller knows: nothing (the context's), a user, or a name.

    A name a service was given ("provisioning", a username) is used as is, unless the context
    knows the same actor better (with its user id).
    """
    context = current_actor()
    if actor is None:
        return context
    if isinstance(actor, Actor):
        return actor
    if isinstance(actor, str):
        if not actor or actor == context.name:
            return context
        return Actor(actor, None, _actor_type_of(actor))
    return _actor_of_user(actor) or context


def _current_request_id() -> str:
    """The request's (or task's) id; none for a shell, even in a thread that served a request
    before (the id is kept after a response for Django's request log)."""
    request = request_var.get()
    if request is not None:
        return getattr(request, "request_id", "") or ""
    if source_var.get() == AuditEntry.Source.TASK:
        return request_id_var.get()
    return ""


def audit_record(
    *,
    action: str,
    instance: models.Model | None = None,
    object_type: str | None = None,
    object_id: Any = None,
    object_repr: str | None = None,
    changes: dict | None = None,
    actor: Any = None,
) -> AuditEntry:
    """Write one audit entry in the current schema, inside the caller's transaction.

    `instance` gives the object type, id and representation (or pass them explicitly, e.g.
    after a delete); `changes` is {field: [before, after]}; `actor` overrides the context's
    (an Actor, a user, or a name).
    """
    who = resolve_actor(actor)
    if instance is not None:
        object_type = object_type or instance._meta.label_lower
        object_id = instance.pk if object_id is None else object_id
        object_repr = str(instance) if object_repr is None else object_repr
    return AuditEntry.objects.create(
        actor=who.name[:150],
        actor_id=who.id,
        actor_type=who.type,
        tenant=connection.schema_name,
        action=action,
        object_type=object_type or "",
        object_id="" if object_id is None else str(object_id)[:64],
        object_repr=(object_repr or "")[:200],
        changes=mask(changes or {}, personal_fields(type(instance) if instance else None)),
        request_id=_current_request_id(),
        ip=ip_var.get(),
        source=source_var.get(),
    )


# Shorthands for the three generic writes.
def audit_created(instance: models.Model, *, actor: Any = None) -> AuditEntry:
    return audit_record(
        action=CREATE, instance=instance, changes=diff(None, snapshot(instance)), actor=actor
    )


def audit_updated(
    instance: models.Model, before: dict, *, actor: Any = None, action: str = UPDATE
) -> AuditEntry:
    """After a change of the fields in `before` (`action`: an update with a name of its own,
    such as "move" or "reassign")."""
    return audit_record(
        action=action,
        instance=instance,
        changes=diff(before, snapshot(instance, fields=list(before))),
        actor=actor,
    )


def audit_deleted(
    instance: models.Model, before: dict, *, object_id: Any = None, actor: Any = None
) -> AuditEntry:
    """After `instance.delete()` (its pk is None by then: pass the id it had)."""
    return audit_record(
        action=DELETE,
        instance=instance,
        object_id=object_id,
        changes=diff(before, None),
        actor=actor,
    )
