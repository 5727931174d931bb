import json
import math
from urllib.parse import urlsplit

from django.conf import settings
from django.core.paginator import Paginator
from django.db import connections
from django.db.models import QuerySet
from django.utils.functional import cached_property
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response

from apps.core.api.envelope import PaginatedData
from apps.core.api.schema import list_envelope_schema


class BoundedCountPaginator(Paginator):
    """Django's paginator, counting a queryset exactly up to API_COUNT_EXACT_UP_TO rows only.

    `COUNT(*)` reads every row of the list (PostgreSQL keeps no row count), on every page of a
    list of millions. The count is `SELECT COUNT(*) FROM (... LIMIT bound + 1)`: exact, and
    as cheap as before, up to the bound; past it, the planner's estimate of the list's rows
    (EXPLAIN, no rows read; never below the bound), and `count_is_estimate` is true. Then the
    last pages are as many as the estimate says: one past the real end is an empty page."""

    count_is_estimate = False

    @cached_property
    def count(self):
        rows = self.object_list
        bound = getattr(settings, "API_COUNT_EXACT_UP_TO", None)
        if not isinstance(rows, QuerySet) or not bound:
            return super().count
        counted = rows.order_by()[: bound + 1].count()
        if counted <= bound:
            return counted
        self.count_is_estimate = True
        return max(counted, _planner_rows(rows))


def _planner_rows(rows: QuerySet) -> int:
    """The planner's estimate of the rows of `rows` (PostgreSQL's EXPLAIN; 0 if unknown)."""
    sql, params = rows.order_by().query.get_compiler(using=rows.db).as_sql()
    with connections[rows.db].cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        plan = cursor.fetchone()[0]
    if isinstance(plan, str):
        plan = json.loads(plan)
    try:
        return int(plan[0]["Plan"]["Plan Rows"])
    except (KeyError, IndexError, TypeError, ValueError):
        return 0


class EnvelopePagination(PageNumberPagination):
    """Page-number pagination reported as `meta.pagination` and `links` (DESIGN.md §4), with
    the count of a long list estimated (BoundedCountPaginator)."""

    django_paginator_class = BoundedCountPaginator
    page_size_query_param = "page_size"
    max_page_size = 100

    def get_page_size(self, request):
        """`?page_size=`: a whole number from 1 (more than max_page_size gives max_page_size);
        anything else is a 400, not silently the default page."""
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        if not raw.isdecimal() or int(raw) < 1:
            raise ValidationError(
                {self.page_size_query_param: "Give a whole number of rows per page, from 1."}
            )
        return min(int(raw), self.max_page_size)

    def get_page_number(self, request, paginator):
        """`?page=`: a whole number from 1, or `last`; anything else (an empty value included)
        is a 400 naming it. A page past the last is a 404, as DRF answers."""
        raw = request.query_params.get(self.page_query_param)
        if raw is None:
            return 1
        if raw in self.last_page_strings:
            return paginator.num_pages
        if not raw.isdecimal() or int(raw) < 1:
            raise ValidationError({self.page_query_param: "Give a page number, from 1."})
        return int(raw)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            parameter["schema"]["minimum"] = 1
            if parameter["name"] == self.page_size_query_param:
                parameter["description"] = (
                    f"Rows per page (default {self.page_size}; at most {self.max_page_size}, "
                    "a larger number gives that many)."
                )
        return parameters

    def get_paginated_response(self, data):
        page = self.page
        page_size = page.paginator.per_page
        count = page.paginator.count
        pagination = {
            "count": count,
            "page": page.number,
            "page_size": page_size,
            "pages": max(1, math.ceil(count / page_size)) if page_size else 1,
        }
        if getattr(page.paginator, "count_is_estimate", False):
            pagination["count_is_estimate"] = True
        links = {
            "self": self.request.get_full_path(),
            "next": _relative(self.get_next_link()),
            "prev": _relative(self.get_previous_link()),
        }
        return Response(PaginatedData(data, pagination=pagination, links=links))

    def get_paginated_response_schema(self, schema):
        return list_envelope_schema(schema.get("items", schema))


def _relative(url: str | None) -> str | None:
    """Links are host-relative, like every other link in the envelope."""
    if url is None:
        return None
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path
