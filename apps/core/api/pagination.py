import math
from urllib.parse import urlsplit

from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response

from apps.core.api.envelope import PaginatedData
from apps.core.api.schema import list_envelope_schema


class EnvelopePagination(PageNumberPagination):
    """Page-number pagination reported as `meta.pagination` and `links` (DESIGN.md §4)."""

    page_size_query_param = "page_size"
    max_page_size = 100

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
