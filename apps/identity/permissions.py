"""DRF's default permission on tenant hosts: signed in, and granted the app area of the path."""

from django.db import connection
from rest_framework.permissions import IsAuthenticated

from apps.core.kit.declaration import area_for_path
from apps.identity.access import can_open


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
        if not can_open(request.user, area.key):
            self.message = (
                f"None of your roles opens {area.name}. Ask your organisation's administrator."
            )
            return False
        return True
