"""Who may open which app area (DESIGN.md §5): the tenant must be licensed for the area's app,
and the user must be the tenant's super admin or hold a role granting the area.

A user's granted areas are cached with the tenant's other per-request lookups (core's tenancy
cache), so a role change shows on the very next request in every worker.
"""

from dataclasses import dataclass

from django.contrib.auth.models import Permission
from django.db import connection

from apps.core.kit.declaration import Area, LauncherEntry, app_of_area, areas, declared
from apps.core.localcache import tenancy_cache
from apps.identity.models import Role
from apps.platform.licensing.entitlements import entitlements_for


@dataclass(frozen=True)
class RoleProfile:
    """What a user's roles add up to: their names, the areas and the permissions they grant."""

    roles: tuple[str, ...]
    areas: frozenset[str]
    permissions: frozenset[str] = frozenset()


def _load_profile(user_id: int) -> RoleProfile:
    rows = Role.objects.filter(assignments__user_id=user_id).order_by("name")
    names, areas = [], set()
    for name, role_areas in rows.values_list("name", "areas"):
        names.append(name)
        areas.update(role_areas)
    permissions = Permission.objects.filter(dotmac_roles__assignments__user_id=user_id)
    codenames = permissions.values_list("content_type__app_label", "codename").distinct()
    return RoleProfile(
        tuple(names), frozenset(areas), frozenset(f"{app}.{code}" for app, code in codenames)
    )


def role_profile(user) -> RoleProfile:
    """The user's roles, cached per tenant and user until any role or grant changes."""
    if not user.is_authenticated:
        return RoleProfile((), frozenset(), frozenset())
    key = ("roles", connection.schema_name, user.pk)
    return tenancy_cache.get_or_load(key, lambda: _load_profile(user.pk))


def granted_areas(user) -> frozenset[str]:
    """Areas the user's roles grant (all of them for a super admin), licensed or not."""
    if not user.is_authenticated or not user.is_active:
        return frozenset()
    if user.is_superuser:
        return frozenset(areas())
    return role_profile(user).areas


def licensed_areas() -> list[Area]:
    """Areas of the apps this tenant may use now, in declaration order."""
    entitlements = entitlements_for(connection.schema_name)
    return [area for area in areas().values() if entitlements.has_app(app_of_area(area.key))]


def openable_areas(user) -> list[Area]:
    granted = granted_areas(user)
    return [area for area in licensed_areas() if area.key in granted]


def can_open(user, area_key: str) -> bool:
    return area_key in granted_areas(user) and entitlements_for(connection.schema_name).has_app(
        app_of_area(area_key)
    )


def launcher_entry(area: Area) -> LauncherEntry:
    """The launcher tile (name, icon, URL) its app declares for an area."""
    return declared(app_of_area(area.key)).launcher_by_area[area.key]


def invalidate() -> None:
    """A role, a grant or a user's standing changed: re-read on the next request everywhere."""
    tenancy_cache.invalidate()
