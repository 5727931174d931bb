"""Filters of the CRM lists (django-filter): `?owner=3&tag=vip&status=new`..."""

import django_filters as filters

from apps.crm.models import Account, Activity, Contact, Lead, Opportunity


class TagFilterMixin(filters.FilterSet):
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
    linked_to_isp = filters.BooleanFilter(method="filter_linked", label="Linked to ISP customer")

    class Meta:
        model = Account
        fields = ["owner", "industry", "country", "city", "isp_customer_ref"]

    def filter_linked(self, queryset, name, value):
        return queryset.exclude(isp_customer_ref="") if value else queryset.filter(
            isp_customer_ref="")  # fmt: skip


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
