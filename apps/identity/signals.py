"""Granted areas are cached per request path; any committed change to roles, grants or a
user's standing invalidates them in every worker."""

from django.contrib.auth.signals import user_logged_in
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver

from apps.identity import access, sessions
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


@receiver(user_logged_in)
def _remember_browser_session(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        sessions.session_started(request, user)


@receiver(post_save, sender=User)
def _end_everything_of_a_disabled_user(sender, instance, **kwargs):
    """Disabling a user ends its sessions and refresh tokens at once, whatever disabled it
    (console, API, shell); its access tokens are refused because the user is inactive."""
    if not instance.is_active:
        sessions.sessions_end_for(instance)
        sessions.refresh_tokens_revoke_for(instance)
