"""DRF's default permission on tenant hosts: signed in, and granted the app area of the path."""

from django.db import connection
from rest_framework.permissions import IsAuthenticated

from apps.identity.access import can_open
from apps.identity.constants import AREAS, area_for_path


class AppAreaAccess(IsAuthenticated):
    message = "None of your roles opens this app. Ask your organisation's administrator."

    def has_permission(self, request, view) -> bool:
        if not super().has_permission(request, view):
            return False
        if connection.schema_name == "public":
            return True
        area = area_for_path(request.path_info)
        if area is None:
            return True
        if not can_open(request.user, area):
            self.message = (
                f"None of your roles opens {AREAS[area].name}. "
                "Ask your organisation's administrator."
            )
            return False
        return True
