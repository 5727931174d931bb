"""Host → tenant routing, cached per process (core's tenancy cache) and invalidated on every
Tenant/Domain change."""

from django.conf import settings
from django.db import connection

from apps.core.localcache import tenancy_cache
from apps.platform.tenants.models import Domain, Tenant


def _load(hostname: str):
    # Lookups always read the public schema, whatever schema the connection was left in.
    connection.set_schema_to_public()
    if hostname in settings.PUBLIC_HOSTS:
        return Tenant.objects.filter(schema_name=settings.PUBLIC_SCHEMA_NAME).first()
    domain = Domain.objects.select_related("tenant").filter(domain=hostname).first()
    return domain.tenant if domain else None


def tenant_for_host(hostname: str):
    """The tenant serving `hostname`, or None for a host that no tenant owns."""
    hostname = hostname.lower()
    return tenancy_cache.get_or_load(("host", hostname), lambda: _load(hostname))
