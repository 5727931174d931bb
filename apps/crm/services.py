"""Every CRM write with a business rule: called alike by the API, the pages, the admin, the
CSV import and the demo seeder. Each is one transaction, validates with full_clean() before
saving, and records its audit entries (apps.core.audit).

Ownership: a record's `owner` sees, edits and deletes it; sharing grants another user view and
change through identity's object permissions; reassignment hands the record to a new owner
(see apps.crm.selectors for who sees what).
"""

from datetime import date
from decimal import Decimal
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import ProtectedError
from django.utils import timezone
from guardian.models import UserObjectPermission

from apps.core.audit import audit_created, audit_deleted, audit_record, audit_updated, snapshot
from apps.core.exceptions import ConflictError
from apps.crm.constants import AREA, DEFAULT_STAGES, SHARE_ACTIONS, LeadStatus, StageKind
from apps.crm.models import (
    Account,
    Activity,
    Contact,
    CrmSettings,
    Lead,
    Opportunity,
    Stage,
    StageChange,
)
from apps.crm.selectors import lead_duplicates
from apps.identity.access import granted_areas
from apps.identity.models import User
from apps.identity.objects import object_grant, object_revoke

# --- Owners and sharing ------------------------------------------------------------------------


def ensure_may_own(user: User) -> None:
    """Only an active user whose roles open the CRM can own CRM records."""
    if user is None or not user.is_active or AREA not in granted_areas(user):
        name = user.get_username() if user is not None else "nobody"
        raise ValidationError({"owner": f"{name} cannot own CRM records (no role opens CRM)."})


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
def record_share(*, obj: models.Model, user: User) -> None:
    """Let `user` see and edit this record (idempotent)."""
    ensure_may_own(user)
    if getattr(obj, "owner_id", None) == user.pk:
        return
    object_grant(user=user, obj=obj, actions=SHARE_ACTIONS)
    _audit_permission_rows(user, obj, "share")


@transaction.atomic
def record_unshare(*, obj: models.Model, user: User) -> None:
    _audit_permission_rows(user, obj, "unshare")
    object_revoke(user=user, obj=obj)


def shared_with(obj: models.Model) -> list[User]:
    from apps.identity.objects import users_with_access

    return list(users_with_access(obj).exclude(pk=getattr(obj, "owner_id", None)))


@transaction.atomic
def record_reassign(*, obj: models.Model, owner: User, cascade: bool = False) -> models.Model:
    """Hand a record to a new owner (audited as a change of owner). The previous owner keeps
    no access unless the record is shared with them. `cascade` also hands over an account's
    contacts and opportunities owned by the previous owner, and a record's open activities."""
    ensure_may_own(owner)
    obj = type(obj).objects.select_for_update().get(pk=obj.pk)
    previous = obj.owner
    if previous.pk == owner.pk:
        return obj
    before = snapshot(obj, fields=["owner"])
    obj.owner = owner
    obj.save(update_fields=["owner", "updated_at"])
    audit_record(
        action="reassign", instance=obj,
        changes={**_owner_change(before, obj), "owner_name": [previous.username, owner.username]},
    )  # fmt: skip
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


def _owner_change(before: dict, obj) -> dict:
    return {"owner": [before.get("owner"), obj.owner_id]}


# --- Generic create / update / delete -----------------------------------------------------------


def _save_new(instance: models.Model) -> models.Model:
    ensure_may_own(instance.owner)
    instance.full_clean()
    instance.save()
    audit_created(instance)
    return instance


def _apply(instance: models.Model, fields: dict[str, Any]) -> models.Model:
    before = snapshot(instance)
    for name, value in fields.items():
        setattr(instance, name, value)
    instance.full_clean()
    instance.save()
    audit_updated(instance, before)
    return instance


@transaction.atomic
def record_update(*, instance: models.Model, **fields) -> models.Model:
    """Change a record's fields. The owner changes through `record_reassign` (audited as
    such); an opportunity's stage through `opportunity_move` (recorded in its history)."""
    owner = fields.pop("owner", None)
    stage = fields.pop("stage", None) if isinstance(instance, Opportunity) else None
    if isinstance(instance, Activity) and "done" in fields and fields["done"] != instance.done:
        fields["done_at"] = timezone.now() if fields["done"] else None
    if isinstance(instance, Lead) and instance.status == LeadStatus.CONVERTED:
        if fields.get("status", LeadStatus.CONVERTED) != LeadStatus.CONVERTED:
            raise ConflictError("A converted lead stays converted.")
    elif isinstance(instance, Lead) and fields.get("status") == LeadStatus.CONVERTED:
        raise ConflictError("A lead is converted through its conversion, not by setting it.")
    instance = _apply(instance, fields)
    if stage is not None and stage.pk != instance.stage_id:
        instance = opportunity_move(opportunity=instance, stage=stage)
    if owner is not None and owner.pk != instance.owner_id:
        instance = record_reassign(obj=instance, owner=owner)
    return instance


@transaction.atomic
def record_delete(*, instance: models.Model) -> None:
    """Delete a record and the shares of it. A record others depend on (an account with
    contacts or opportunities, a stage in use) is refused with CONFLICT."""
    before, pk = snapshot(instance), instance.pk
    ct = ContentType.objects.get_for_model(instance)
    shares = list(UserObjectPermission.objects.filter(content_type=ct, object_pk=str(pk)))
    if hasattr(instance, "activities"):  # cascaded with the record: their shares go too
        activity_ids = [str(a) for a in instance.activities.values_list("pk", flat=True)]
        shares += list(UserObjectPermission.objects.filter(
            content_type=ContentType.objects.get_for_model(Activity), object_pk__in=activity_ids
        ))  # fmt: skip
    try:
        with transaction.atomic():
            instance.delete()
    except ProtectedError as error:
        blocking = sorted({obj._meta.verbose_name_plural for obj in error.protected_objects})
        raise ConflictError(
            f"{instance} still has {', '.join(blocking)}; move or delete them first."
        ) from error
    audit_deleted(instance, before, object_id=pk)
    for share in shares:
        share_before, share_pk = snapshot(share), share.pk
        share.delete()
        audit_deleted(share, share_before, object_id=share_pk)


# --- Accounts and contacts ----------------------------------------------------------------------


@transaction.atomic
def account_create(*, owner: User, name: str, **fields) -> Account:
    return _save_new(Account(owner=owner, name=name, **fields))


@transaction.atomic
def contact_create(*, owner: User, account: Account, last_name: str, **fields) -> Contact:
    return _save_new(Contact(owner=owner, account=account, last_name=last_name, **fields))


@transaction.atomic
def account_link_party(*, account: Account, app: str, ref: str) -> Account:
    """Link (or with ref "" unlink) the account to a party record of another app. The record
    must exist in that app's directory (apps.core.parties); the caller checks the licence."""
    from apps.core.parties import party_directory

    if app != "isp":
        raise ValidationError({"app": "Accounts link to ISP customers only."})
    ref = str(ref or "").strip()
    if ref:
        directory = party_directory(app)
        if directory is None:
            raise ConflictError("The ISP customer directory is not available.")
        if directory.facts(ref) is None:
            raise ValidationError({"isp_customer_ref": f"No ISP customer {ref}."})
    return _apply(account, {"isp_customer_ref": ref})


# --- Leads --------------------------------------------------------------------------------------


@transaction.atomic
def lead_create(*, owner: User, last_name: str, **fields) -> Lead:
    if fields.get("status") == LeadStatus.CONVERTED:
        raise ValidationError({"status": "A new lead cannot be converted already."})
    return _save_new(Lead(owner=owner, last_name=last_name, **fields))


@transaction.atomic
def lead_convert(
    *,
    lead: Lead,
    actor: User,
    account: Account | None = None,
    contact: Contact | None = None,
    create_new: bool = False,
    opportunity_name: str = "",
    amount: Decimal | None = None,
    expected_close_date: date | None = None,
    stage: Stage | None = None,
    create_opportunity: bool = True,
) -> Lead:
    """Turn a qualified lead into an account, a contact and an opportunity, all or nothing.

    Duplicates: when existing accounts (same web domain or company name) or contacts (same
    email) match the lead, the caller must choose: merge into them (`account`, `contact`) or
    say `create_new`; otherwise CONFLICT lists the candidates. The new records belong to the
    lead's owner.
    """
    lead = Lead.objects.select_for_update().get(pk=lead.pk)
    if lead.status == LeadStatus.CONVERTED:
        raise ConflictError("This lead is already converted.")
    if lead.status != LeadStatus.QUALIFIED:
        raise ConflictError(
            f"Only a qualified lead can be converted; this one is {lead.get_status_display()}."
        )
    if contact is not None and account is None:
        account = contact.account
    if contact is not None and contact.account_id != account.pk:
        raise ValidationError({"contact": "The contact does not belong to the chosen account."})
    duplicates = lead_duplicates(lead)
    if duplicates and account is None and not create_new:
        raise ConflictError(
            "This lead matches existing records: merge into them or create new ones.",
            [{"field": "account", "message": str(a), "id": str(a.pk)} for a in duplicates.accounts]
            + [{"field": "contact", "message": f"{c} <{c.email}> at {c.account}", "id": str(c.pk)}
               for c in duplicates.contacts],
        )  # fmt: skip
    owner = lead.owner
    if account is None:
        account = account_create(
            owner=owner, name=lead.company.strip() or lead.full_name, website=lead.website,
            domain=_company_domain(lead), phone=lead.phone, tags=list(lead.tags),
        )  # fmt: skip
    if contact is None:
        contact = contact_create(
            owner=owner, account=account, first_name=lead.first_name, last_name=lead.last_name,
            title=lead.title, email=lead.email, phone=lead.phone, tags=list(lead.tags),
        )  # fmt: skip
    opportunity = None
    if create_opportunity:
        opportunity = opportunity_create(
            owner=owner, account=account, contact=contact,
            name=opportunity_name.strip() or f"{account.name} deal",
            amount=amount if amount is not None else Decimal("0"),
            expected_close_date=expected_close_date,
            stage=stage or Stage.objects.filter(kind=StageKind.OPEN).first(),
            lead=lead,
        )  # fmt: skip
    for activity in Activity.objects.filter(lead=lead).order_by("pk"):
        # The lead's history follows it to the contact (and so to the account's timeline).
        _apply(activity, {"lead": None, "contact": contact})
    before = snapshot(lead)
    lead.status = LeadStatus.CONVERTED
    lead.converted_at = timezone.now()
    lead.converted_account, lead.converted_contact = account, contact
    lead.converted_opportunity = opportunity
    lead.full_clean()
    lead.save()
    audit_record(action="convert", instance=lead, changes=_diff_of(lead, before))
    return lead


def _company_domain(lead: Lead) -> str:
    from apps.crm.models.accounts import domain_of
    from apps.crm.selectors import FREEMAIL

    domain = domain_of(lead.website) or domain_of(lead.email)
    return "" if domain in FREEMAIL else domain


def _diff_of(instance, before: dict) -> dict:
    from apps.core.audit import diff

    return diff(before, snapshot(instance))


# --- Pipeline -----------------------------------------------------------------------------------


@transaction.atomic
def stage_create(*, name: str, position: int, probability: int, kind: str) -> Stage:
    stage = Stage(name=name, position=position, probability=probability, kind=kind)
    stage.full_clean()
    stage.save()
    audit_created(stage)
    return stage


@transaction.atomic
def opportunity_create(*, owner: User, account: Account, name: str, stage: Stage | None = None,
                       **fields) -> Opportunity:  # fmt: skip
    stage = stage or Stage.objects.filter(kind=StageKind.OPEN).first()
    if stage is None:
        raise ValidationError({"stage": "The pipeline has no stages; add one first."})
    opportunity = Opportunity(owner=owner, account=account, name=name, stage=stage, **fields)
    if stage.is_closed:
        opportunity.closed_at = timezone.now()
    _save_new(opportunity)
    change = StageChange(
        opportunity=opportunity, to_stage=stage, to_name=stage.name, amount=opportunity.amount,
        changed_by=_acting_user(),
    )  # fmt: skip
    change.save()
    audit_created(change)
    return opportunity


@transaction.atomic
def opportunity_move(
    *, opportunity: Opportunity, stage: Stage, lost_reason: str = ""
) -> Opportunity:
    """Move an opportunity to another stage of the pipeline (the board's drag and drop and the
    API's move action): the move is recorded; a won or lost stage closes it, an open one
    reopens it; a lost reason is kept for a lost stage only."""
    opportunity = (
        Opportunity.objects.select_for_update().select_related("stage").get(pk=opportunity.pk)
    )
    previous = opportunity.stage
    if previous.pk == stage.pk and not lost_reason:
        return opportunity
    before = snapshot(opportunity)
    opportunity.stage = stage
    if stage.kind == StageKind.LOST:
        opportunity.lost_reason = (lost_reason or opportunity.lost_reason).strip()
    else:
        opportunity.lost_reason = ""
    if stage.is_closed and not previous.is_closed:
        opportunity.closed_at = timezone.now()
    elif not stage.is_closed:
        opportunity.closed_at = None
    opportunity.full_clean()
    opportunity.save()
    audit_record(action="move", instance=opportunity, changes=_diff_of(opportunity, before))
    if previous.pk != stage.pk:
        change = StageChange(
            opportunity=opportunity, from_stage=previous, from_name=previous.name,
            to_stage=stage, to_name=stage.name, amount=opportunity.amount,
            changed_by=_acting_user(),
        )  # fmt: skip
        change.save()
        audit_created(change)
    return opportunity


def _acting_user() -> User | None:
    from apps.core.audit import current_actor

    actor = current_actor()
    return User.objects.filter(pk=actor.id).first() if actor.id else None


# --- Activities ---------------------------------------------------------------------------------


@transaction.atomic
def activity_create(*, owner: User, kind: str, subject: str, **fields) -> Activity:
    if fields.get("done"):
        fields.setdefault("done_at", timezone.now())
    return _save_new(Activity(owner=owner, kind=kind, subject=subject, **fields))


@transaction.atomic
def activity_complete(*, activity: Activity, done: bool = True) -> Activity:
    return record_update(instance=activity, done=done)


# --- Tenant defaults ----------------------------------------------------------------------------

#: The model-wide permissions that make a role a CRM manager (see apps.crm.selectors).
MANAGER_PERMISSIONS = [
    f"{action}_{model}"
    for model in ("account", "contact", "lead", "opportunity", "activity", "stage")
    for action in ("view", "add", "change", "delete")
]


def crm_defaults_ensure(**_) -> None:
    """Tenant initialiser: the default pipeline stages, the CRM settings row, and the "CRM
    Admin" role's manager permissions exist (created once; later edits are kept)."""
    from django.contrib.auth.models import Permission

    from apps.identity.access import invalidate
    from apps.identity.models import Role

    with transaction.atomic():
        if not Stage.objects.exists():
            for position, (name, probability, kind) in enumerate(DEFAULT_STAGES, 1):
                stage_create(name=name, position=position, probability=probability, kind=kind)
        settings_row, created = CrmSettings.objects.get_or_create(pk=1)
        if created:
            audit_created(settings_row)
        role = Role.objects.filter(name="CRM Admin").first()
        if role is not None and not role.permissions.filter(content_type__app_label="crm").exists():
            permissions = Permission.objects.filter(
                content_type__app_label="crm", codename__in=MANAGER_PERMISSIONS
            )
            role.permissions.add(*permissions)
            audit_record(
                action="update", instance=role,
                changes={"permissions": [[], sorted(p.codename for p in permissions)]},
            )  # fmt: skip
            transaction.on_commit(invalidate)
