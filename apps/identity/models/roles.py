from django.conf import settings
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.db import models

from apps.core.kit.declaration import areas

__all__ = ["Role", "RoleAssignment"]


def validate_areas(value) -> None:
    known = areas()
    if not isinstance(value, list) or any(area not in known for area in value):
        raise ValidationError(f"A list of areas among: {', '.join(known)}.")


class Role(models.Model):
    """A set of app areas and permissions, granted to users. Roles span apps: "IT Manager"
    opens ISP Framework and CRM with one grant."""

    name = models.CharField("name", max_length=100, unique=True)
    description = models.CharField("description", max_length=300, blank=True)
    areas = models.JSONField(
        "apps it opens", default=list, blank=True, validators=[validate_areas],
        help_text="App areas the role opens (e.g. isp, isp.portal, crm, commerce.shop).",
    )  # fmt: skip
    permissions = models.ManyToManyField(
        Permission, blank=True, related_name="dotmac_roles", verbose_name="permissions"
    )
    is_default = models.BooleanField(
        "default role", default=False, help_text="Created with the organisation."
    )
    created_at = models.DateTimeField("created", auto_now_add=True)
    updated_at = models.DateTimeField("updated", auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = "role"

    def __str__(self) -> str:
        return self.name


class RoleAssignment(models.Model):
    """A user holding a role: who granted it and when."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="role_assignments"
    )
    role = models.ForeignKey(Role, on_delete=models.CASCADE, related_name="assignments")
    granted_by = models.CharField("granted by", max_length=150, blank=True)
    created_at = models.DateTimeField("granted", auto_now_add=True)

    class Meta:
        ordering = ["role__name"]
        verbose_name = "role assignment"
        constraints = [
            models.UniqueConstraint(fields=["user", "role"], name="identity_one_grant_per_role")
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.role}"
