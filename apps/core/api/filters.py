"""The API's list filters, strict: a value a filter cannot take, or a query parameter no filter
(nor search, ordering or pagination) knows, is a 400 VALIDATION_ERROR naming the parameter,
never silently ignored (`?total__gte=abc` used to list everything); dates are bounded
(apps.core.dates).

Apps declare their filtersets on `FilterSet`; `StrictFilterBackend`, `StrictSearchFilter` and
`StrictOrderingFilter` are the API's default filter backends (settings.REST_FRAMEWORK).
"""

import django_filters
from django import forms
from django.db.models import Q
from django_filters.rest_framework import DjangoFilterBackend
from django_filters.widgets import BooleanWidget
from rest_framework import filters
from rest_framework.exceptions import ValidationError
from rest_framework.filters import OrderingFilter
from rest_framework.settings import api_settings

from apps.core.dates import out_of_bounds
from apps.core.encryption import whole_value_match

__all__ = [
    "FilterSet",
    "IntegerFilter",
    "SearchFilter",
    "StrictFilterBackend",
    "StrictOrderingFilter",
    "StrictSearchFilter",
]

#: Query parameters every list understands besides its filters.
COMMON_PARAMETERS = frozenset({"page", "page_size", "format"})


#: What a yes/no filter takes: true/false from the API, 1/0 or on from a page's checkbox.
YES = frozenset({"true", "1", "yes", "on"})
NO = frozenset({"false", "0", "no", "off"})
#: An empty value is refused too (the schema says boolean): a page's unchecked checkbox sends
#: nothing at all.
BOOLEAN_VALUES = YES | NO


class YesNoWidget(BooleanWidget):
    """Every yes/no filter's widget: django-filter's own reads 1/0 and true/false only, and its
    default (Django's NullBooleanSelect) reads "1" as no filter at all."""

    def value_from_datadict(self, data, files, name):
        value = data.get(name)
        if isinstance(value, str):
            word = value.strip().lower()
            if word in YES:
                return True
            if word in NO:
                return False
        return None


class IntegerFilter(django_filters.NumberFilter):
    """A whole number, such as an id (django-filter's NumberFilter takes 0.5 for an id)."""

    field_class = forms.IntegerField


class FilterSet(django_filters.FilterSet):
    """django-filter's FilterSet with every date and time it accepts within the bounds, and a
    yes/no filter taking yes or no only."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for declared in self.filters.values():
            if (
                isinstance(declared, django_filters.BooleanFilter)
                and "widget" not in declared.extra
            ):
                declared.extra["widget"] = YesNoWidget()
                declared.__dict__.pop("_field", None)  # a field built before took the default

    def is_valid(self) -> bool:
        valid = super().is_valid()
        if not valid:
            return False
        problems = {}
        for name, value in list(self.form.cleaned_data.items()):
            problem = out_of_bounds(value)
            if problem:
                problems[name] = problem
        for name, declared in self.filters.items():
            raw = self.data.get(name)
            yes_or_no = isinstance(declared, django_filters.BooleanFilter) and raw is not None
            if yes_or_no and str(raw).strip().lower() not in BOOLEAN_VALUES:
                problems[name] = "Give true or false."
        for name, problem in problems.items():
            self.form.add_error(name, problem)
        return not problems


def _filters_nothing_unasked(filterset_class) -> bool:
    """Whether a filterset given none of its parameters leaves the queryset as it is: no
    filter is required, each is django-filter's own (their `filter` returns the queryset for
    an empty value, a `method=` is never called with one), and the class changes nothing of
    how the base builds, validates and applies them. Decided once per class."""
    known = filterset_class.__dict__.get("_filters_nothing_unasked")
    if known is not None:
        return known
    hooks = ("__init__", "is_valid", "qs", "filter_queryset", "form", "get_form_class", "errors")
    plain = all(
        getattr(filterset_class, hook) is getattr(FilterSet, hook) for hook in hooks
    ) and all(
        not declared.extra.get("required")
        and (type(declared).__module__.startswith("django_filters.")
             or type(declared) is IntegerFilter)
        for declared in filterset_class.base_filters.values()
    )  # fmt: skip
    filterset_class._filters_nothing_unasked = plain
    return plain


class StrictFilterBackend(DjangoFilterBackend):
    """django-filter's backend refusing unknown parameters; a list asked for none of its
    filters (`?page_size=25`, the common call) skips building the filterset and its form,
    whose result would be the queryset unchanged."""

    filterset_base = FilterSet

    def filter_queryset(self, request, queryset, view):
        filterset_class = None
        if not getattr(view, "detail", False):  # a list, or an action over the list
            filterset_class = self._refuse_unknown(request, queryset, view)
            if filterset_class is None or (
                _filters_nothing_unasked(filterset_class)
                and not any(name in filterset_class.base_filters for name in request.query_params)
            ):
                return queryset
        return super().filter_queryset(request, queryset, view)

    def _refuse_unknown(self, request, queryset, view):
        """400 for a parameter no filter, search, ordering nor pagination takes; returns the
        view's filterset class."""
        filterset_class = self.get_filterset_class(view, queryset)
        known = set(COMMON_PARAMETERS)
        if filterset_class is not None:
            known |= set(filterset_class.base_filters)
        if getattr(view, "search_fields", None):
            known.add(api_settings.SEARCH_PARAM)
        if getattr(view, "ordering_fields", None) or getattr(view, "ordering", None):
            known.add(api_settings.ORDERING_PARAM)
        known |= set(getattr(view, "query_parameters", ()))
        problems = {
            name: "Unknown query parameter: no filter of this list takes it."
            for name in sorted(set(request.query_params) - known)
        }
        if filterset_class is not None:
            problems.update(_empty_values(request, filterset_class.base_filters))
        if problems:
            raise ValidationError(problems)
        return filterset_class


#: Filters for which "" is a value: a text, or a yes/no left unticked (YesNoWidget).
_BLANK_IS_A_VALUE = (django_filters.CharFilter, django_filters.BooleanFilter)


def _empty_values(request, filters: dict) -> dict:
    """`?customer=` is no id, `?status=` no status (the schema says integer, enum): refused
    rather than read as "no filter", django-filter's convention for HTML forms."""
    return {
        name: "Give a value, or leave the parameter out."
        for name, value in request.query_params.items()
        if value == "" and name in filters and not isinstance(filters[name], _BLANK_IS_A_VALUE)
    }


class SearchFilter(filters.SearchFilter):
    """DRF's `?search=`, and an encrypted field with a blind index (a phone number) also matched
    by the whole query as one value, so that "+44 20 7946 0958" finds it (apps.core.encryption:
    encrypted fields match by exact, normalised value only)."""

    def filter_queryset(self, request, queryset, view):
        found = super().filter_queryset(request, queryset, view)
        query = request.query_params.get(self.search_param, "")
        match = whole_value_match(
            queryset.model, self.get_search_fields(view, request) or (), query
        )
        if match is None:
            return found
        return queryset.filter(Q(pk__in=found.values("pk")) | match)


class StrictSearchFilter(SearchFilter):
    """DRF's `?search=`, in the schema only where the view searches (elsewhere
    StrictFilterBackend refuses it as an unknown parameter)."""

    def get_schema_operation_parameters(self, view):
        if not getattr(view, "search_fields", None):
            return []
        return super().get_schema_operation_parameters(view)


class StrictOrderingFilter(OrderingFilter):
    """`?ordering=` with a field the list does not order by is refused, not ignored; in the
    schema only where the view orders."""

    def get_schema_operation_parameters(self, view):
        if not (getattr(view, "ordering_fields", None) or getattr(view, "ordering", None)):
            return []
        return super().get_schema_operation_parameters(view)

    def remove_invalid_fields(self, queryset, fields, view, request):
        valid = super().remove_invalid_fields(queryset, fields, view, request)
        invalid = [term for term in fields if term and term not in valid]
        if invalid:
            allowed = sorted(
                name for name, _ in self.get_valid_fields(queryset, view, {"request": request})
            )
            raise ValidationError(
                {self.ordering_param: f"Cannot order by {', '.join(invalid)}; "
                 f"order by one of: {', '.join(allowed)} (a leading - reverses)."}
            )  # fmt: skip
        return valid
