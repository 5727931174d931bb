"""Accounts, contacts and activities, and what every CRM record shares: its creation with an
owner, its update (the owner through reassignment, a stage through the move) and its deletion
(with its shares and links)."""

from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.utils import timezone
from guardian.models import UserObjectPermission

from apps.core.exceptions import ConflictError
from apps.core.kit import writes
from apps.core.parties import links_remove, party_link
from apps.crm.constants import APP_KEY, LeadStatus
from apps.crm.models import Account, Activity, Contact, Lead, Opportunity
from apps.crm.services.ownership import (
    ensure_may_give,
    ensure_related_visible,
    owned_create,
    record_reassign,
    related_records,
)
from apps.crm.services.pipeline import opportunity_move
from apps.identity.models import User


@transaction.atomic
def account_create(*, name: str, actor: User | None = None, owner: User | None = None,
                   **fields) -> Account:  # fmt: skip
    return owned_create(Account(name=name, **fields), actor=actor, owner=owner)


@transaction.atomic
def contact_create(*, account: Account, last_name: str, actor: User | None = None,
                   owner: User | None = None, **fields) -> Contact:  # fmt: skip
    contact = Contact(account=account, last_name=last_name, **fields)
    return owned_create(contact, actor=actor, owner=owner)


@transaction.atomic
def activity_create(*, kind: str, subject: str, actor: User | None = None,
                    owner: User | None = None, **fields) -> Activity:  # fmt: skip
    if fields.get("done"):
        fields.setdefault("done_at", timezone.now())
    activity = Activity(kind=kind, subject=subject, **fields)
    return owned_create(activity, actor=actor, owner=owner)


@transaction.atomic
def activity_complete(*, activity: Activity, done: bool = True, actor=None) -> Activity:
    return record_update(instance=activity, done=done, actor=actor)


@transaction.atomic
def record_update(*, instance: models.Model, actor: User | None = None, **fields: Any):
    """Change a record's fields. The owner changes through `record_reassign` (audited as
    such), an opportunity's stage through `opportunity_move` (recorded in its history); a
    lead is converted only by its conversion."""
    owner = fields.pop("owner", None)
    stage = fields.pop("stage", None) if isinstance(instance, Opportunity) else None
    if owner is not None and owner.pk != instance.owner_id:
        ensure_may_give(actor=actor, owner=owner, record=instance)
    ensure_related_visible(actor=actor, fields=related_records(fields))
    if isinstance(instance, Activity) and "done" in fields and fields["done"] != instance.done:
        fields["done_at"] = timezone.now() if fields["done"] else None
    if isinstance(instance, Lead) and instance.status == LeadStatus.CONVERTED:
        if fields.get("status", LeadStatus.CONVERTED) != LeadStatus.CONVERTED:
            raise ConflictError("A converted lead stays converted.")
    elif isinstance(instance, Lead) and fields.get("status") == LeadStatus.CONVERTED:
        raise ConflictError("A lead is converted through its conversion, not by setting it.")
    writes.record_update(instance, fields, actor=actor)
    if stage is not None and stage.pk != instance.stage_id:
        instance = opportunity_move(opportunity=instance, stage=stage, actor=actor)
    if owner is not None and owner.pk != instance.owner_id:
        instance = record_reassign(obj=instance, owner=owner, actor=actor)
    return instance


def _shares_of(model, pks) -> list[UserObjectPermission]:
    content_type = ContentType.objects.get_for_model(model)
    return list(
        UserObjectPermission.objects.filter(
            content_type=content_type, object_pk__in=[str(pk) for pk in pks]
        )
    )


@transaction.atomic
def record_delete(*, instance: models.Model, actor: User | None = None) -> None:
    """Delete a record, the shares of it (and of the activities deleted with it) and its links
    to other apps' records. A record others depend on (an account with contacts or
    opportunities) is refused with CONFLICT."""
    pk = instance.pk
    shares = _shares_of(type(instance), [pk])
    if hasattr(instance, "activities"):  # cascaded with the record: their shares go too
        shares += _shares_of(Activity, instance.activities.values_list("pk", flat=True))
    writes.record_delete(instance, actor=actor)
    for share in shares:
        writes.record_delete(share, actor=actor)
    if isinstance(instance, Account):
        links_remove(app=APP_KEY, ref=pk, actor=actor)


@transaction.atomic
def account_link_party(*, account: Account, app: str, ref: str, actor=None) -> Account:
    """Link (or with ref "" unlink) the account to a party record of another app of the
    organisation (apps.core.parties); the caller checks that app's licence."""
    party_link(app=APP_KEY, ref=account.pk, other_app=app, other_ref=ref, actor=actor)
    return account
