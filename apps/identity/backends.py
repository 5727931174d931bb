"""Permissions granted through roles, on top of Django's user and group permissions."""

from django.contrib.auth.backends import BaseBackend
from django.contrib.auth.models import Permission


class RolePermissionBackend(BaseBackend):
    def get_group_permissions(self, user_obj, obj=None) -> set[str]:
        if obj is not None or not user_obj.is_active or user_obj.is_anonymous:
            return set()
        if not hasattr(user_obj, "_role_perm_cache"):
            rows = (
                Permission.objects.filter(dotmac_roles__assignments__user=user_obj)
                .values_list("content_type__app_label", "codename")
                .distinct()
            )
            user_obj._role_perm_cache = {f"{app}.{codename}" for app, codename in rows}
        return user_obj._role_perm_cache

    def get_all_permissions(self, user_obj, obj=None) -> set[str]:
        return self.get_group_permissions(user_obj, obj)

    def has_perm(self, user_obj, perm, obj=None) -> bool:
        return perm in self.get_all_permissions(user_obj, obj)
