"""The service kit: the generic writes every service builds on, each validated, saved and
recorded in the audit trail in one step, so that no service writes "snapshot, set fields,
full_clean, save, audit" again.

    customer = record_create(Customer(name="Ann"), actor=actor)
    changed = record_update(customer, {"name": "Ann Lee"}, actor=actor)   # ["name"]
    record_delete(contact, actor=actor)

Services keep their rules (who may, in which state) and call these for the write itself; they
run inside the caller's transaction.
"""

from collections.abc import Mapping
from typing import Any

from django.db import models, transaction
from django.db.models import ProtectedError, RestrictedError

from apps.core.audit import UPDATE, audit_created, audit_deleted, audit_updated, snapshot
from apps.core.encryption import blind_indexes_of
from apps.core.exceptions import ConflictError

__all__ = ["record_create", "record_delete", "record_update"]


def record_create(instance: models.Model, *, actor: Any = None) -> models.Model:
    """Validate (full_clean), save and record a new row."""
    instance.full_clean()
    instance.save()
    audit_created(instance, actor=actor)
    return instance


def record_update(
    instance: models.Model, fields: Mapping[str, Any], *, actor: Any = None, action: str = ""
) -> list[str]:
    """Set `fields`, validate, and save and record the fields that really changed (none: no
    write at all), those the model's clean() derived from them included. Only those columns
    are written: a value the instance holds from an earlier read (a balance another service
    has moved since) is never written back. Answers the names of the changed fields. `action`
    names an update with a meaning of its own in the trail ("reassign"); default: update."""
    before = snapshot(instance)
    for name, value in fields.items():
        setattr(instance, name, value)
    instance.full_clean()
    after = snapshot(instance)
    changed = [name for name in after if before.get(name) != after[name]]
    if not changed:
        return []
    stamps = [f.name for f in instance._meta.concrete_fields if getattr(f, "auto_now", False)]
    # an encrypted field's blind index moves with it (apps.core.encryption)
    indexes = blind_indexes_of(type(instance), changed)
    instance.save(
        update_fields=[*changed, *indexes, *(name for name in stamps if name not in changed)]
    )
    audit_updated(
        instance, {name: before[name] for name in changed}, actor=actor, action=action or UPDATE
    )
    return changed


def record_delete(instance: models.Model, *, actor: Any = None) -> None:
    """Delete and record a row. A row others still depend on is refused with CONFLICT naming
    them (nothing is deleted)."""
    before, pk = snapshot(instance), instance.pk
    try:
        with transaction.atomic():
            instance.delete()
    except (ProtectedError, RestrictedError) as error:
        blocking = sorted({str(obj._meta.verbose_name_plural) for obj in _blocking_objects(error)})
        raise ConflictError(
            f"{instance} still has {', '.join(blocking)}; move or delete them first.",
            [{"field": None, "message": name} for name in blocking],
        ) from error
    audit_deleted(instance, before, object_id=pk, actor=actor)


def _blocking_objects(error: ProtectedError | RestrictedError):
    if isinstance(error, ProtectedError):
        return error.protected_objects
    return error.restricted_objects
