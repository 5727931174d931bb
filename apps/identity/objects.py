"""Object-level permissions for the apps (django-guardian underneath), in the apps' words:
"records I own", "records shared with me", "projects I am a member of".

Permissions are ordinary Django codenames of the object's model ("crm.change_lead"); the rows
live in the tenant's schema like everything else of the tenant.
"""

from django.db.models import Model, QuerySet
from guardian.shortcuts import (
    assign_perm,
    get_objects_for_user,
    get_users_with_perms,
    remove_perm,
)

from apps.core.audit import audit_record
from apps.identity.models import User


def _codename(obj: Model, action: str) -> str:
    return f"{obj._meta.app_label}.{action}_{obj._meta.model_name}"


def object_grant(*, user: User, obj: Model, actions=("view", "change")) -> None:
    """Let `user` view/change (or other actions on) this one object."""
    for action in actions:
        assign_perm(_codename(obj, action), user, obj)
    audit_record(
        action="share", instance=obj, changes={"granted": [user.get_username(), list(actions)]}
    )


def object_revoke(*, user: User, obj: Model, actions=("view", "change", "delete")) -> None:
    for action in actions:
        remove_perm(_codename(obj, action), user, obj)
    audit_record(
        action="unshare", instance=obj, changes={"revoked": [user.get_username(), list(actions)]}
    )


def objects_visible_to(user: User, queryset: QuerySet, action: str = "view") -> QuerySet:
    """The objects of `queryset` the user may `action`: all of them for a holder of the
    model-wide permission (a manager), else those granted to the user one by one."""
    model = queryset.model
    codename = f"{model._meta.app_label}.{action}_{model._meta.model_name}"
    if user.has_perm(codename):
        return queryset
    return get_objects_for_user(
        user, codename, klass=queryset, accept_global_perms=False, with_superuser=True
    )


def users_with_access(obj: Model) -> QuerySet:
    """Who was granted this object (its owner and whoever it was shared with)."""
    return get_users_with_perms(obj, with_superusers=False, with_group_users=False)
