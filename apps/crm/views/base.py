"""Base of the CRM's pages: the kinds of record they show, and `CrmPage`, through which every
page reads the signed-in user's visible records (apps.crm.selectors), as the API does."""

from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.db.models import Q
from django.http import Http404
from django.shortcuts import render
from django.views import View

from apps.crm import forms, selectors, services
from apps.crm.api import filters
from apps.crm.constants import AREA, FORECASTING
from apps.crm.models import Account, Contact, CrmSettings, Lead, Opportunity
from apps.identity.models import User
from apps.platform.licensing.entitlements import entitlements_for


@dataclass(frozen=True)
class Kind:
    """One kind of CRM record as the pages show it."""

    key: str  # URL segment: accounts, contacts...
    model: type
    rows: callable  # selectors.<kind>(user): the visible rows
    form: type
    create: callable
    filterset: type
    search: tuple[str, ...]
    columns: tuple[tuple[str, str], ...]  # (heading, attribute or template key)
    filters: tuple[str, ...]  # filterset fields offered above the list
    title: str

    @property
    def singular(self) -> str:
        return self.model._meta.verbose_name


KINDS = {
    kind.key: kind
    for kind in (
        Kind("accounts", Account, selectors.accounts, forms.AccountForm, services.account_create,
             filters.AccountFilter, ("name", "domain", "email", "city", "industry"),
             (("Name", "name"), ("Industry", "industry"), ("City", "city"),
              ("Contacts", "contact_count"), ("Owner", "owner"), ("Tags", "tags")),
             ("owner", "industry", "tag"), "Accounts"),
        Kind("contacts", Contact, selectors.contacts, forms.ContactForm, services.contact_create,
             filters.ContactFilter, ("first_name", "last_name", "email", "phone", "account__name"),
             (("Name", "full_name"), ("Account", "account"), ("Title", "title"),
              ("Email", "email"), ("Phone", "phone"), ("Owner", "owner")),
             ("owner", "tag"), "Contacts"),
        Kind("leads", Lead, selectors.leads, forms.LeadForm, services.lead_create,
             filters.LeadFilter, ("first_name", "last_name", "company", "email"),
             (("Name", "full_name"), ("Company", "company"), ("Source", "source"),
              ("Status", "status"), ("Score", "score"), ("Owner", "owner")),
             ("owner", "status", "source", "tag"), "Leads"),
        Kind("opportunities", Opportunity, selectors.opportunities, forms.OpportunityForm,
             services.opportunity_create, filters.OpportunityFilter,
             ("name", "account__name"),
             (("Name", "name"), ("Account", "account"), ("Stage", "stage"), ("Amount", "amount"),
              ("Close", "expected_close_date"), ("Owner", "owner")),
             ("owner", "stage", "tag"), "Opportunities"),
    )
}  # fmt: skip


def tenant_currency() -> str:
    return CrmSettings.current().currency


def crm_owners():
    """Who can own CRM records (the owner pickers)."""
    return (
        User.objects.filter(is_active=True)
        .filter(Q(is_superuser=True) | Q(role_assignments__role__areas__contains=[AREA]))
        .distinct()
        .order_by("first_name", "username")
    )


class CrmPage(LoginRequiredMixin, View):
    """Base of every CRM page: the signed-in user's visible records, one place."""

    login_url = "/login/"
    section = ""

    def render(self, template: str, status: int = 200, **context):
        base = {
            "tenant": self.request.tenant, "section": self.section, "currency": tenant_currency(),
            "is_manager": selectors.is_manager(self.request.user),
            "has_forecasting": tenant_has_feature(FORECASTING),
        }  # fmt: skip
        return render(self.request, f"crm/{template}", {**base, **context}, status=status)

    def kind(self, key: str) -> Kind:
        if key not in KINDS:
            raise Http404
        return KINDS[key]

    def record(self, kind: Kind, pk: int, action: str = "view"):
        """The record if the user may see it (else 404, like a record that does not exist) and
        may `action` it (else 403)."""
        obj = kind.rows(self.request.user).filter(pk=pk).first()
        if obj is None:
            raise Http404(f"No such {kind.singular}.")
        if action != "view" and not selectors.can(self.request.user, obj, action):
            raise PermissionDenied(f"You may not {action} this {kind.singular}.")
        return obj

    def fail(self, error: Exception) -> None:
        if isinstance(error, ValidationError):
            by_field = getattr(error, "message_dict", None) or {"__all__": error.messages}
            text = "; ".join(
                ", ".join(msgs) if field == "__all__" else f"{field}: {', '.join(msgs)}"
                for field, msgs in by_field.items()
            )
        else:
            text = getattr(error, "message", str(error))
        messages.error(self.request, text)


def without_blank(data: dict) -> dict:
    return {k: v for k, v in data.items() if v is not None and v != ""}


def tenant_has_app(app_key: str) -> bool:
    """Whether this tenant may use another app now (its licence), e.g. ISP for the link."""
    return entitlements_for(connection.schema_name).has_app(app_key)


def tenant_has_feature(feature: str) -> bool:
    return entitlements_for(connection.schema_name).has_feature(feature)
