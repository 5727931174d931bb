"""Leads, and their conversion into an account, a contact and an opportunity."""

from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from apps.core.exceptions import ConflictError
from apps.core.kit import writes
from apps.crm.constants import LeadStatus, StageKind
from apps.crm.models import Account, Activity, Contact, Lead, Stage
from apps.crm.models.accounts import domain_of
from apps.crm.selectors import FREEMAIL, lead_duplicates
from apps.crm.services.ownership import ensure_related_visible, owned_create
from apps.crm.services.pipeline import opportunity_create
from apps.crm.services.records import account_create, contact_create, record_update
from apps.identity.models import User


@transaction.atomic
def lead_create(*, last_name: str, actor: User | None = None, owner: User | None = None,
                **fields) -> Lead:  # fmt: skip
    if fields.get("status") == LeadStatus.CONVERTED:
        raise ValidationError({"status": "A new lead cannot be converted already."})
    return owned_create(Lead(last_name=last_name, **fields), actor=actor, owner=owner)


@transaction.atomic
def lead_convert(
    *,
    lead: Lead,
    actor: User | None,
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
    email) match the lead, the caller must choose: merge into them (`account`, `contact`, ones
    the actor sees) or say `create_new`; otherwise CONFLICT lists the candidates. The new
    records belong to the lead's owner.
    """
    ensure_related_visible(actor=actor, fields={"account": account, "contact": contact})
    if stage is not None and stage.kind != StageKind.OPEN:
        raise ValidationError({"stage": "A converted lead's opportunity starts in an open stage."})
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
    owner = lead.owner  # the lead's owner keeps what it becomes (the system gives it)
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
            expected_close_date=expected_close_date, stage=stage, lead=lead,
        )  # fmt: skip
    for activity in Activity.objects.filter(lead=lead).order_by("pk"):
        # The lead's history follows it to the contact (and so to the account's timeline).
        record_update(instance=activity, lead=None, contact=contact)
    writes.record_update(
        lead,
        {"status": LeadStatus.CONVERTED, "converted_at": timezone.now(),
         "converted_account": account, "converted_contact": contact,
         "converted_opportunity": opportunity},
        actor=actor, action="convert",
    )  # fmt: skip
    return lead


def _company_domain(lead: Lead) -> str:
    domain = domain_of(lead.website) or domain_of(lead.email)
    return "" if domain in FREEMAIL else domain
