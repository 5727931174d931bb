"""Reads reused by the API, the pages, the reports and the party directory.

Visibility is decided here and only here (`visible`): the API's base viewset and the pages'
base view both narrow every queryset through it, so no view can forget it.

Who sees what (object permissions of apps.identity.objects, django-guardian underneath):
- a user sees the records they own (the owner holds view/change/delete on the row) and those
  shared with them (view/change);
- a CRM manager sees every record: the tenant's super admin, and whoever holds the model-wide
  `crm.view_<model>` permission through a role (the default "CRM Admin" role is given those
  permissions by `crm_defaults_ensure`);
- an activity is also visible to whoever can see the record it is about (the timeline of an
  account shows every call logged on it).
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.contrib.postgres.expressions import ArraySubquery
from django.db.models import CharField, Count, OuterRef, Q, QuerySet, Sum
from django.db.models.functions import Cast, JSONObject, Lower, TruncMonth

from apps.core.db.replica import replica
from apps.core.models import PartyLink
from apps.crm.constants import APP_KEY, OWNED_MODELS, LeadStatus, StageKind
from apps.crm.models import Account, Activity, Contact, Lead, Opportunity, Stage, StageChange
from apps.crm.models.accounts import domain_of
from apps.identity.objects import objects_visible_to

#: Email domains that say nothing about the company (never matched to an account).
FREEMAIL = frozenset(
    {"gmail.com", "googlemail.com", "yahoo.com", "hotmail.com", "outlook.com", "live.com",
     "icloud.com", "aol.com", "proton.me", "protonmail.com", "gmx.com", "mail.com"}
)  # fmt: skip


def is_manager(user, model_name: str = "account") -> bool:
    """Sees every record of the model: super admin, or model-wide permission through a role."""
    return bool(user.is_active and user.has_perm(f"crm.view_{model_name}"))


def visible(queryset: QuerySet, user, action: str = "view") -> QuerySet:
    """The rows of `queryset` that `user` may `action` ("view", "change", "delete"): the
    restriction hook of the CRM's API and pages (apps.core.api.viewsets.BaseViewSet.restrict)."""
    model = queryset.model
    model_name = model._meta.model_name
    if model_name not in OWNED_MODELS:
        return queryset
    if not user.is_authenticated or not user.is_active:
        return queryset.none()
    if user.has_perm(f"crm.{action}_{model_name}"):
        return queryset  # a CRM manager
    shared = objects_visible_to(user, model.objects.all(), action).values("pk")
    allowed = Q(owner=user) | Q(pk__in=shared)
    if model_name == "activity" and action == "view":
        for field, parent in (
            ("account", Account), ("contact", Contact), ("lead", Lead), ("opportunity", Opportunity)
        ):  # fmt: skip
            parents = objects_visible_to(user, parent.objects.all()).values("pk")
            allowed |= Q(**{f"{field}__owner": user}) | Q(**{f"{field}__in": parents})
    return queryset.filter(allowed)


def can(user, obj, action: str) -> bool:
    """May `user` `action` this one record (the same rule as `visible`, for one row)."""
    return visible(type(obj)._default_manager.filter(pk=obj.pk), user, action).exists()


# --- Lists -------------------------------------------------------------------------------------


def account_links():
    """Each account's links to other apps' records, as [{app, ref}] (apps.core.parties)."""
    links = PartyLink.objects.filter(app=APP_KEY, ref=Cast(OuterRef("pk"), CharField()))
    return ArraySubquery(
        links.order_by("other_app").values(json=JSONObject(app="other_app", ref="other_ref"))
    )


def account_rows() -> QuerySet:
    """Accounts with what their lists show (owner, number of contacts, links to other apps'
    records), for any user."""
    return (
        Account.objects.select_related("owner")
        .annotate(contact_count=Count("contacts", distinct=True), party_links=account_links())
        .order_by("name", "id")  # Meta.ordering does not apply to a GROUP BY query
    )


def contact_rows() -> QuerySet:
    return Contact.objects.select_related("owner", "account")


def lead_rows() -> QuerySet:
    return Lead.objects.select_related("owner")


def opportunity_rows() -> QuerySet:
    return Opportunity.objects.select_related("owner", "account", "contact", "stage")


def activity_rows() -> QuerySet:
    return Activity.objects.select_related("owner", "account", "contact", "lead", "opportunity")


def accounts(user) -> QuerySet:
    return visible(account_rows(), user)


def contacts(user) -> QuerySet:
    return visible(contact_rows(), user)


def leads(user) -> QuerySet:
    return visible(lead_rows(), user)


def opportunities(user) -> QuerySet:
    return visible(opportunity_rows(), user)


def activities(user) -> QuerySet:
    return visible(activity_rows(), user)


def open_tasks_of(user) -> QuerySet:
    """ "My open tasks": to-dos (tasks, calls, meetings) owned by the user and not done yet."""
    return (
        activities(user)
        .filter(owner=user, done=False)
        .exclude(kind="note")
        .order_by("due_at", "id")
    )


def stages() -> QuerySet:
    return Stage.objects.all()


# --- Duplicates --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Duplicates:
    """Existing records a lead matches: accounts by web domain or company name, contacts by
    email. Conversion offers them for merge instead of creating them twice."""

    accounts: list[Account]
    contacts: list[Contact]

    def __bool__(self) -> bool:
        return bool(self.accounts or self.contacts)


def lead_duplicates(lead: Lead) -> Duplicates:
    domain = domain_of(lead.website) or domain_of(lead.email)
    account_match = Q(pk__in=[])
    if domain and domain not in FREEMAIL:
        account_match |= Q(domain__iexact=domain)
    if lead.company.strip():
        account_match |= Q(name__iexact=lead.company.strip())
    found_accounts = list(Account.objects.filter(account_match).order_by("name", "id")[:10])
    found_contacts = []
    if lead.email:
        found_contacts = list(
            Contact.objects.select_related("account")
            .annotate(lower_email=Lower("email"))
            .filter(lower_email=lead.email.lower())
            .order_by("id")[:10]
        )
    return Duplicates(found_accounts, found_contacts)


# --- Timeline ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class TimelineEntry:
    when: object  # datetime
    kind: str  # "call", "meeting", "task", "note", "stage", "created"
    title: str
    detail: str = ""
    who: str = ""
    done: bool | None = None
    activity: Activity | None = None


def timeline(obj, user=None) -> list[TimelineEntry]:
    """What happened on a record, newest first: its activities (and, for an account, those of
    its contacts and opportunities), its stage changes, its creation. Given a user, only what
    that user may see (an account's timeline does not reveal a colleague's private deal)."""
    model_name = obj._meta.model_name
    acts = Activity.objects.select_related("owner")
    changes = StageChange.objects.none()
    if model_name == "account":
        acts = acts.filter(Q(account=obj) | Q(contact__account=obj) | Q(opportunity__account=obj))
        changes = StageChange.objects.filter(opportunity__account=obj)
    elif model_name == "opportunity":
        acts = acts.filter(opportunity=obj)
        changes = StageChange.objects.filter(opportunity=obj)
    else:
        acts = acts.filter(**{model_name: obj})
    if user is not None:
        acts = visible(acts, user)
        changes = changes.filter(opportunity__in=opportunities(user).values("pk"))
    entries = [
        TimelineEntry(
            when=act.done_at or act.due_at or act.created_at,
            kind=act.kind,
            title=act.subject,
            detail=act.body,
            who=_name(act.owner),
            done=act.done if act.kind != "note" else None,
            activity=act,
        )  # fmt: skip
        for act in acts
    ]
    for change in changes.select_related("changed_by", "opportunity"):
        entries.append(
            TimelineEntry(
                when=change.changed_at,
                kind="stage",
                title=f"{change.opportunity.name}: {change.from_name or 'new'} → {change.to_name}",
                who=_name(change.changed_by),
            )  # fmt: skip
        )
    entries.append(TimelineEntry(when=obj.created_at, kind="created", title="Created"))
    return sorted(entries, key=lambda entry: entry.when, reverse=True)


def _name(user) -> str:
    if user is None:
        return ""
    return user.get_full_name() or user.get_username()


# --- Reports -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Bar:
    label: str
    value: Decimal
    extra: str = ""


@replica()  # a report: read from the standby when there is one
def pipeline_by_stage(user) -> list[Bar]:
    """Open pipeline value per open stage (every open stage, zero included)."""
    rows = (
        opportunities(user)
        .filter(stage__kind=StageKind.OPEN)
        .order_by()
        .values("stage_id")
        .annotate(total=Sum("amount"), n=Count("id"))
    )
    totals = {row["stage_id"]: (row["total"], row["n"]) for row in rows}
    return [
        Bar(
            stage.name,
            totals.get(stage.pk, (None, 0))[0] or Decimal("0"),
            f"{totals.get(stage.pk, (None, 0))[1]} open",
        )
        for stage in Stage.objects.filter(kind=StageKind.OPEN)
    ]


@replica()  # a report: read from the standby when there is one
def weighted_forecast(user) -> list[Bar]:
    """Open opportunities' amount × stage probability, by month of expected close (undated
    ones are left out: they cannot be placed in a month)."""
    rows = (
        opportunities(user)
        .filter(stage__kind=StageKind.OPEN, expected_close_date__isnull=False)
        .annotate(month=TruncMonth("expected_close_date"))
        .values_list("month", "amount", "stage__probability")
    )
    months: dict[date, list[Decimal]] = defaultdict(lambda: [Decimal("0"), Decimal("0")])
    for month, amount, probability in rows:
        months[month][0] += amount * Decimal(probability) / Decimal(100)
        months[month][1] += amount
    return [
        Bar(month.strftime("%b %Y"), weighted.quantize(Decimal("0.01")), f"of {total:,.2f}")
        for month, (weighted, total) in sorted(months.items())
    ]


@replica()  # a report: read from the standby when there is one
def win_rate(user) -> dict:
    """Won / (won + lost) over closed opportunities, by count and by amount."""
    closed = opportunities(user).exclude(stage__kind=StageKind.OPEN)
    figures = closed.aggregate(
        won=Count("id", filter=Q(stage__kind=StageKind.WON)),
        lost=Count("id", filter=Q(stage__kind=StageKind.LOST)),
        won_amount=Sum("amount", filter=Q(stage__kind=StageKind.WON)),
        lost_amount=Sum("amount", filter=Q(stage__kind=StageKind.LOST)),
    )
    won, lost = figures["won"], figures["lost"]
    won_amount = figures["won_amount"] or Decimal("0")
    lost_amount = figures["lost_amount"] or Decimal("0")
    rate = round(100 * won / (won + lost), 1) if won + lost else None
    amount_rate = (
        round(float(100 * won_amount / (won_amount + lost_amount)), 1)
        if won_amount + lost_amount
        else None
    )
    return {"won": won, "lost": lost, "rate": rate, "won_amount": won_amount,
            "lost_amount": lost_amount, "amount_rate": amount_rate}  # fmt: skip


@replica()  # a report: read from the standby when there is one
def conversion_by_source(user) -> list[dict]:
    """Per lead source: leads, converted ones, and the conversion rate (%)."""
    rows = (
        leads(user)
        .order_by()
        .values("source")
        .annotate(total=Count("id"), converted=Count("id", filter=Q(status=LeadStatus.CONVERTED)))
    )
    labels = dict(Lead._meta.get_field("source").choices)
    out = [
        {
            "source": row["source"],
            "label": labels.get(row["source"], row["source"]),
            "total": row["total"],
            "converted": row["converted"],
            "rate": round(100 * row["converted"] / row["total"], 1) if row["total"] else 0.0,
        }
        for row in rows
    ]
    return sorted(out, key=lambda row: (-row["rate"], row["label"]))
