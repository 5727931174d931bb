"""Filters of the CRM lists (django-filter): `?owner=3&tag=vip&status=new`..."""

import django_filters as filters
from django.db.models import CharField, Exists, OuterRef
from django.db.models.functions import Cast

from apps.core.api.filters import FilterSet
from apps.core.models import PartyLink
from apps.crm.constants import APP_KEY
from apps.crm.models import Account, Activity, Contact, Lead, Opportunity


class TagFilterMixin(FilterSet):
    tag = filters.CharFilter(field_name="tags", lookup_expr="contains", method="filter_tag")
    mine = filters.BooleanFilter(method="filter_mine", label="Only records I own")
    created_after = filters.DateFilter(field_name="created_at", lookup_expr="date__gte")
    created_before = filters.DateFilter(field_name="created_at", lookup_expr="date__lte")

    def filter_tag(self, queryset, name, value):
        return queryset.filter(tags__contains=[value.strip().lower()])

    def filter_mine(self, queryset, name, value):
        if value and self.request is not None:
            return queryset.filter(owner=self.request.user)
        return queryset


class AccountFilter(TagFilterMixin):
    linked = filters.CharFilter(
        method="filter_linked",
        label='Linked to a record of another app: "isp" (any of its records) or "isp:42"',
    )

    class Meta:
        model = Account
        fields = ["owner", "industry", "country", "city"]

    def filter_linked(self, queryset, name, value):
        app, _, ref = value.partition(":")
        links = PartyLink.objects.filter(app=APP_KEY, ref=Cast(OuterRef("pk"), CharField()),
                                         other_app=app.strip())  # fmt: skip
        if ref.strip():
            links = links.filter(other_ref=ref.strip())
        return queryset.filter(Exists(links))


class ContactFilter(TagFilterMixin):
    class Meta:
        model = Contact
        fields = ["owner", "account", "country", "city"]


class LeadFilter(TagFilterMixin):
    score_min = filters.NumberFilter(field_name="score", lookup_expr="gte")
    score_max = filters.NumberFilter(field_name="score", lookup_expr="lte")

    class Meta:
        model = Lead
        fields = ["owner", "status", "source"]


class OpportunityFilter(TagFilterMixin):
    amount_min = filters.NumberFilter(field_name="amount", lookup_expr="gte")
    amount_max = filters.NumberFilter(field_name="amount", lookup_expr="lte")
    close_after = filters.DateFilter(field_name="expected_close_date", lookup_expr="gte")
    close_before = filters.DateFilter(field_name="expected_close_date", lookup_expr="lte")
    stage_kind = filters.CharFilter(field_name="stage__kind")

    class Meta:
        model = Opportunity
        fields = ["owner", "stage", "account", "contact"]


class ActivityFilter(TagFilterMixin):
    due_before = filters.IsoDateTimeFilter(field_name="due_at", lookup_expr="lte")
    due_after = filters.IsoDateTimeFilter(field_name="due_at", lookup_expr="gte")

    class Meta:
        model = Activity
        fields = ["owner", "kind", "done", "account", "contact", "lead", "opportunity"]
