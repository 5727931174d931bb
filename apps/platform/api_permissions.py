"""Who may call the management API (/api/v1/platform/, every platform package's resources):
platform staff (public-schema users with is_staff) signed in with a JWT or a session, or a holder
of a platform API key. And who may read a tenant's own platform records on its host (its bill,
its resource use): its super admin."""

from django.db import connection
from rest_framework.permissions import BasePermission
from rest_framework_api_key.permissions import HasAPIKey


class IsPlatformStaff(BasePermission):
    message = "Only platform staff may use the management API."

    def has_permission(self, request, view) -> bool:
        if connection.schema_name != "public":
            return False
        user = request.user
        if user and user.is_authenticated and user.is_active and user.is_staff:
            return True
        return HasAPIKey().has_permission(request, view)


class IsTenantSuperAdmin(BasePermission):
    message = "Only the organisation's super admin sees its DotMac bill and resource use."

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(
            connection.schema_name != "public" and user and user.is_authenticated
            and user.is_active and user.is_superuser
        )  # fmt: skip


def actor_of(request) -> str:
    """The name recorded in histories for a change made through the API."""
    user = request.user
    if user and user.is_authenticated:
        return user.get_username()
    key = request.META.get("HTTP_AUTHORIZATION", "").removeprefix("Api-Key ").split(".", 1)[0]
    return f"api-key:{key}" if key else "api-key"
