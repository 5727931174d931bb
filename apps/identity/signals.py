"""Granted areas are cached per request path; any committed change to roles, grants or a
user's standing invalidates them in every worker."""

from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver

from apps.identity import access
from apps.identity.models import Role, RoleAssignment, User

# Saves that change nothing about access (a login stamps last_login).
_IRRELEVANT_USER_FIELDS = {"last_login", "password"}


@receiver([post_save, post_delete], sender=Role)
@receiver([post_save, post_delete], sender=RoleAssignment)
def _access_changed(sender, **kwargs):
    transaction.on_commit(access.invalidate)


@receiver(m2m_changed, sender=Role.permissions.through)
def _role_permissions_changed(sender, **kwargs):
    transaction.on_commit(access.invalidate)


@receiver([post_save, post_delete], sender=User)
def _user_changed(sender, update_fields=None, **kwargs):
    if update_fields and set(update_fields) <= _IRRELEVANT_USER_FIELDS:
        return
    transaction.on_commit(access.invalidate)
