from django.core.validators import RegexValidator
from django.db import models
from django_tenants.models import DomainMixin, TenantMixin

from apps.platform.tenants.constants import RESERVED_SLUGS

__all__ = ["Domain", "Tenant"]

# A slug is a DNS label: it becomes <slug>.<BASE_DOMAIN>.
slug_validator = RegexValidator(
    r"^[a-z][a-z0-9-]{1,61}[a-z0-9]$",
    "Use 3 to 63 lowercase letters, digits and hyphens, starting with a letter.",
)


def validate_not_reserved(value: str) -> None:
    from django.core.exceptions import ValidationError

    if value in RESERVED_SLUGS:
        raise ValidationError("This name is reserved.", code="reserved")


def schema_name_for(slug: str) -> str:
    """The PostgreSQL schema of a tenant: its slug with hyphens as underscores."""
    return slug.replace("-", "_")


class Tenant(TenantMixin):
    """An organisation using DotMac, with its own PostgreSQL schema and user base."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        PROVISIONING = "provisioning", "Provisioning"
        ACTIVE = "active", "Active"
        FAILED = "failed", "Failed"
        SUSPENDED = "suspended", "Suspended"

    name = models.CharField("organisation name", max_length=200)
    slug = models.CharField(
        "slug",
        max_length=63,
        unique=True,
        validators=[slug_validator, validate_not_reserved],
        help_text="Names the tenant's host: <slug>." + "<base domain>.",
    )
    status = models.CharField(
        "status", max_length=20, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    status_reason = models.TextField(
        "status reason", blank=True, help_text="Why the tenant is in its status (e.g. an error)."
    )
    created_at = models.DateTimeField("created", auto_now_add=True)
    updated_at = models.DateTimeField("updated", auto_now=True)

    auto_create_schema = True
    auto_drop_schema = False

    class Meta:
        ordering = ["name"]
        verbose_name = "tenant"

    def __str__(self) -> str:
        return self.name

    @property
    def is_public(self) -> bool:
        return self.schema_name == "public"


class Domain(DomainMixin):
    """A host name routed to a tenant's schema (its <slug>.<BASE_DOMAIN>, or a custom domain)."""

    class Meta:
        verbose_name = "domain"
        ordering = ["domain"]

    def __str__(self) -> str:
        return self.domain
