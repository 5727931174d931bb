from django.core.exceptions import DisallowedHost
from django.db import connection
from django_tenants.middleware.main import TenantMainMiddleware

from apps.core.context import tenant_var
from apps.core.errors import ErrorCode, error_response
from apps.platform.tenants.routing import tenant_for_host


class TenantRoutingMiddleware(TenantMainMiddleware):
    """Route each request to its tenant's schema by host.

    An unknown or disallowed host gets a 404 error envelope: never the public site, never
    another tenant's. Lookups come from a per-process cache (no query per request).
    """

    def process_request(self, request):
        try:
            hostname = self.hostname_from_request(request)
        except DisallowedHost:
            return self.unknown_host(request)
        tenant = tenant_for_host(hostname)
        if tenant is None:
            return self.unknown_host(request)
        tenant.domain_url = hostname
        request.tenant = tenant
        # Re-pointing the connection costs a `SET search_path` round trip; a persistent
        # connection still on this tenant's schema (django-tenants forgets the setting on
        # rollback and reconnect) needs none.
        if connection.tenant is not tenant or not connection.search_path_set_schemas:
            connection.set_tenant(tenant)
        tenant_var.set(tenant.schema_name)
        self.setup_url_routing(request)
        return None

    def unknown_host(self, request):
        connection.set_schema_to_public()
        return error_response(ErrorCode.NOT_FOUND, "No organisation is served at this address")
