from django.core.validators import RegexValidator
from django.db import models
from django_tenants.models import DomainMixin, TenantMixin

from apps.platform.tenants.constants import RESERVED_SLUGS

__all__ = ["Domain", "NasRoute", "SpareSchema", "Tenant"]

# A slug is a DNS label: it becomes <slug>.<BASE_DOMAIN>.
slug_validator = RegexValidator(
    r"^[a-z][a-z0-9-]{1,61}[a-z0-9]$",
    "Use 3 to 63 lowercase letters, digits and hyphens, starting with a letter.",
)


def validate_not_reserved(value: str) -> None:
    """Refuse names of platform hosts, and slugs whose schema would be one the platform uses
    (the template, spare schemas, PostgreSQL's own pg_ schemas)."""
    from django.conf import settings
    from django.core.exceptions import ValidationError

    schema = schema_name_for(value)
    if (
        value in RESERVED_SLUGS
        or schema == settings.TENANT_BASE_SCHEMA
        or schema.startswith(("spare_", "pg_"))
    ):
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
        OFFBOARDED = "offboarded", "Offboarded"

    class Source(models.TextChoices):
        CONSOLE = "console", "Platform console"
        API = "api", "Management API"
        SIGNUP = "signup", "Self-service signup"
        SYSTEM = "system", "System"

    name = models.CharField("organisation name", max_length=200)
    slug = models.CharField(
        "slug",
        max_length=63,
        unique=True,
        validators=[slug_validator, validate_not_reserved],
        help_text="Names the tenant's host: the slug followed by the base domain.",
    )
    status = models.CharField(
        "status", max_length=20, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    status_reason = models.TextField(
        "status reason", blank=True, help_text="Why the tenant is in its status (e.g. an error)."
    )
    source = models.CharField(
        "created through", max_length=20, choices=Source.choices, default=Source.SYSTEM
    )
    # What provisioning needs, recorded with the request so that a retry can finish the job.
    admin_email = models.EmailField("super admin email", blank=True)
    admin_username = models.CharField("super admin username", max_length=150, blank=True)
    admin_password_hash = models.CharField(
        "super admin password hash", max_length=256, blank=True, editable=False,
        help_text="Kept hashed until provisioning creates the user, then erased.",
    )  # fmt: skip
    requested_apps = models.JSONField("apps to trial", default=list, blank=True)
    provisioning_step = models.CharField("last step done", max_length=30, blank=True)
    provisioning_attempts = models.PositiveSmallIntegerField("provisioning attempts", default=0)
    provisioned_at = models.DateTimeField("provisioned", null=True, blank=True)
    export_archive = models.CharField(
        "data export", max_length=300, blank=True,
        help_text="The archive of the tenant's data written when it was offboarded.",
    )  # fmt: skip
    created_at = models.DateTimeField("created", auto_now_add=True)
    updated_at = models.DateTimeField("updated", auto_now=True)

    # Schemas are created by the provisioning service (from a spare or the template), never as
    # a side effect of saving a row.
    auto_create_schema = False
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


class SpareSchema(models.Model):
    """A schema cloned from the template ahead of time, waiting to be renamed for a new tenant.

    `fingerprint` names the migration state it was cloned at; a spare from an older state is
    never handed out (the replenisher drops it and clones a fresh one).
    """

    schema_name = models.CharField("schema", max_length=63, unique=True)
    fingerprint = models.CharField("migration state", max_length=64, db_index=True)
    created_at = models.DateTimeField("cloned", auto_now_add=True)

    class Meta:
        ordering = ["created_at"]
        verbose_name = "spare schema"

    def __str__(self) -> str:
        return self.schema_name


class NasRoute(models.Model):
    """A RADIUS client's address routed to the tenant whose NAS it is: what `Domain` is to a
    host name, this is to a network access server. One FreeRADIUS serves every tenant; a packet
    is trusted as the NAS's tenant's only once its source address matched a route and the
    packet was signed with that NAS's secret (the secret itself stays in the tenant's schema,
    encrypted). The address is unique over all tenants: a RADIUS server tells its clients
    apart by source address alone."""

    address = models.GenericIPAddressField("NAS address", unique=True)
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="nas_routes")
    nas_id = models.PositiveIntegerField("NAS (in the tenant's schema)")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "NAS route"
        ordering = ["address"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "nas_id"], name="tenants_nasroute_nas_once")
        ]

    def __str__(self) -> str:
        return f"{self.address} → {self.tenant_id}"
