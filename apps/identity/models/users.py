from django.contrib.auth.models import AbstractUser
from django.db import models

__all__ = ["User"]


class User(AbstractUser):
    """A person who signs in: platform staff in the public schema, a tenant's users in its schema.

    Each schema has its own user table, so `john` of one tenant and `john` of another are
    different people with different passwords.
    """

    email = models.EmailField("email address", blank=True, db_index=True)
    roles = models.ManyToManyField(
        "identity.Role", through="identity.RoleAssignment", through_fields=("user", "role"),
        related_name="users", blank=True, verbose_name="roles",
    )  # fmt: skip

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
        ordering = ["username"]
