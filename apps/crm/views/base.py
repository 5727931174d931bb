"""Base of the CRM's pages (the page kit: apps.core.kit.pages): the kinds of record they show,
and `CrmPage`, through which every page reads the signed-in user's visible records
(apps.crm.selectors.visible, the API's restriction too)."""

from dataclasses import dataclass

from django.db import connection
from django.db.models import Q
from django.http import Http404

from apps.core.kit.pages import Page
from apps.crm import forms, selectors
from apps.crm.api import filters
from apps.crm.constants import AREA, FORECASTING
from apps.crm.models import Account, Contact, Lead, Opportunity
from apps.crm.services import leads, pipeline, records
from apps.identity.models import User
from apps.platform.licensing.entitlements import entitlements_for


@dataclass(frozen=True)
class Kind:
    """One kind of CRM record as the pages show it."""

    key: str  # URL segment: accounts, contacts...
    model: type
    rows: callable  # selectors.<kind>_rows(): the rows with what the pages show
    form: type
    create: callable  # its create service
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
        Kind("accounts", Account, selectors.account_rows, forms.AccountForm,
             records.account_create, filters.AccountFilter,
             ("name", "domain", "email", "city", "industry"),
             (("Name", "name"), ("Industry", "industry"), ("City", "city"),
              ("Contacts", "contact_count"), ("Owner", "owner"), ("Tags", "tags")),
             ("owner", "industry", "tag"), "Accounts"),
        Kind("contacts", Contact, selectors.contact_rows, forms.ContactForm,
             records.contact_create, filters.ContactFilter,
             ("first_name", "last_name", "email", "phone", "account__name"),
             (("Name", "full_name"), ("Account", "account"), ("Title", "title"),
              ("Email", "email"), ("Phone", "phone"), ("Owner", "owner")),
             ("owner", "tag"), "Contacts"),
        Kind("leads", Lead, selectors.lead_rows, forms.LeadForm, leads.lead_create,
             filters.LeadFilter, ("first_name", "last_name", "company", "email", "phone"),
             (("Name", "full_name"), ("Company", "company"), ("Source", "source"),
              ("Status", "status"), ("Score", "score"), ("Owner", "owner")),
             ("owner", "status", "source", "tag"), "Leads"),
        Kind("opportunities", Opportunity, selectors.opportunity_rows, forms.OpportunityForm,
             pipeline.opportunity_create, filters.OpportunityFilter,
             ("name", "account__name"),
             (("Name", "name"), ("Account", "account"), ("Stage", "stage"), ("Amount", "amount"),
              ("Close", "expected_close_date"), ("Owner", "owner")),
             ("owner", "stage", "tag"), "Opportunities"),
    )
}  # fmt: skip


def crm_owners():
    """Who can own CRM records (the owner pickers)."""
    return (
        User.objects.filter(is_active=True)
        .filter(Q(is_superuser=True) | Q(role_assignments__role__areas__contains=[AREA]))
        .distinct()
        .order_by("first_name", "username")
    )


def tenant_has_feature(feature: str) -> bool:
    return entitlements_for(connection.schema_name).has_feature(feature)


class CrmPage(Page):
    """Base of every CRM page: the signed-in user's visible records, one place."""

    def restrict(self, queryset, action: str):
        return selectors.visible(queryset, self.request.user, action)

    def page_context(self) -> dict:
        return {
            "tenant": self.request.tenant,
            "is_manager": selectors.is_manager(self.request.user),
            "has_forecasting": tenant_has_feature(FORECASTING),
        }

    def kind(self, key: str) -> Kind:
        if key not in KINDS:
            raise Http404
        return KINDS[key]

    def record(self, kind: Kind, pk: int, action: str = "view"):
        """The record if the user may see it (else 404, like a record that does not exist) and
        may `action` it (else 403)."""
        return self.get_row(kind.rows(), pk, action)


class KindPage(CrmPage):
    """A page of one kind of record (/crm/<kind>/...)."""

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self.record_kind = self.kind(kwargs["kind"])
        self.section = self.record_kind.key
