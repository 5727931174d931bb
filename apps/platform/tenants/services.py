"""Tenant lifecycle. Provisioning runs the initialisers that tenant apps register (core registry),
so this module never imports a tenant app."""

import logging

from django.conf import settings
from django.db import transaction
from django_tenants.utils import schema_context

from apps.core.registry import registry
from apps.platform.tenants.models import Domain, Tenant
from apps.platform.tenants.models.tenants import schema_name_for

logger = logging.getLogger(__name__)


def tenant_host(slug: str) -> str:
    return f"{slug}.{settings.BASE_DOMAIN}"


def public_tenant_ensure() -> Tenant:
    """The row that stands for the public schema (the management platform)."""
    tenant, _ = Tenant.objects.get_or_create(
        schema_name=settings.PUBLIC_SCHEMA_NAME,
        defaults={"name": "DotMac platform", "slug": "public", "status": Tenant.Status.ACTIVE},
    )
    return tenant


def tenant_provision(
    *, name: str, slug: str, admin_username: str, admin_email: str, admin_password: str
) -> Tenant:
    """Create a tenant with its schema, host and super admin; safe to call again for the same slug.

    A second call finds the tenant and re-runs only what is missing (the initialisers are
    idempotent), so a crash half-way is repaired by calling it again.
    """
    with transaction.atomic():
        tenant = Tenant.objects.filter(slug=slug).first()
        if tenant is None:
            tenant = Tenant(name=name, slug=slug, schema_name=schema_name_for(slug))
            tenant.full_clean()
            tenant.status = Tenant.Status.PROVISIONING
            tenant.save()  # creates and migrates the schema (auto_create_schema)
        Domain.objects.get_or_create(
            domain=tenant_host(slug), defaults={"tenant": tenant, "is_primary": True}
        )
    with schema_context(tenant.schema_name):
        for initialiser in registry.tenant_initialisers:
            initialiser.run(
                tenant=tenant,
                admin_username=admin_username,
                admin_email=admin_email,
                admin_password=admin_password,
            )
    if tenant.status != Tenant.Status.ACTIVE:
        tenant.status, tenant.status_reason = Tenant.Status.ACTIVE, ""
        tenant.save(update_fields=["status", "status_reason", "updated_at"])
    logger.info("tenant %s provisioned", slug)
    return tenant
