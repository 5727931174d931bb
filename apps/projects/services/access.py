"""Who may write what, said once for the services (the reads are apps.projects.selectors)."""

from django.core.exceptions import ValidationError
from django.db import models

from apps.core.exceptions import PermissionDeniedError
from apps.identity.models import User
from apps.projects import selectors


def user_of(actor) -> User | None:
    return actor if isinstance(actor, User) else None


def ensure_sees(actor, obj: models.Model | None, field: str) -> None:
    """A row named in a write (a task's project, a dependency) is one the actor sees; one they
    do not see is refused exactly like one that does not exist."""
    if obj is None or user_of(actor) is None:
        return
    if not selectors.can(actor, obj, "view"):
        raise ValidationError({field: f'Invalid pk "{obj.pk}" - object does not exist.'})


def ensure_may(actor, obj: models.Model, action: str, what: str) -> None:
    """The actor may `action` the row (the system, no actor, may anything)."""
    if user_of(actor) is None:
        return
    ensure_sees(actor, obj, obj._meta.model_name)
    if not selectors.can(actor, obj, action):
        raise PermissionDeniedError(f"Only a project manager can {what}.")
