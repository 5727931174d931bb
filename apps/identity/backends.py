"""Permissions granted through roles, on top of Django's user and group permissions."""

from django.contrib.auth.backends import BaseBackend

from apps.identity.access import role_profile


class RolePermissionBackend(BaseBackend):
    """Reads the user's cached role profile (apps.identity.access), so a permission check costs
    no query once warm, and a role change applies on the next request."""

    def get_group_permissions(self, user_obj, obj=None) -> set[str]:
        if obj is not None or not user_obj.is_active or user_obj.is_anonymous:
            return set()
        return set(role_profile(user_obj).permissions)

    def get_all_permissions(self, user_obj, obj=None) -> set[str]:
        return self.get_group_permissions(user_obj, obj)

    def has_perm(self, user_obj, perm, obj=None) -> bool:
        return perm in self.get_all_permissions(user_obj, obj)
