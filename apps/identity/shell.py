"""The page shell's context (templates/shell.html): which app area the page belongs to, that
area's tabs, and the app switcher (the launcher entries of the areas the user may open).

A context processor (`shell`), computed only when a template reads it: the admin's pages and
the API never pay for it.
"""

from functools import cached_property

from django.db import connection
from django.urls import reverse

from apps.core.kit.declaration import area_for_path
from apps.core.registry import registry
from apps.identity.access import launcher_entry, openable_areas


class Shell:
    def __init__(self, request):
        self.request = request

    @cached_property
    def area(self):
        return area_for_path(self.request.path_info)

    @cached_property
    def entry(self):
        return launcher_entry(self.area) if self.area else None

    @cached_property
    def tabs(self) -> list[dict]:
        if self.area is None:
            return []
        return [
            {"name": tab.name, "href": reverse(tab.url, args=tab.args), "section": tab.section}
            for tab in self.area.tabs
        ]

    @cached_property
    def switcher(self) -> list:
        user = getattr(self.request, "user", None)
        if user is None or not user.is_authenticated:
            return []
        return [launcher_entry(area) for area in openable_areas(user)]

    @cached_property
    def quota_notices(self) -> list:
        """The tenant's quotas near or past their limit, for its super admin only."""
        user = getattr(self.request, "user", None)
        if (
            user is None
            or not user.is_authenticated
            or not user.is_superuser
            or registry.quota_notices is None
            or connection.schema_name == "public"
        ):
            return []
        return registry.quota_notices(connection.schema_name)


def shell(request) -> dict:
    return {"shell": Shell(request)}
