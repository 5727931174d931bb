from django.core.exceptions import DisallowedHost
from django.db import connection
from django.shortcuts import render
from django_tenants.middleware.main import TenantMainMiddleware

from apps.core.context import tenant_var
from apps.core.errors import ErrorCode, error_response
from apps.core.localcache import tenancy_cache
from apps.core.middleware import is_api_request
from apps.platform.tenants.models import Tenant
from apps.platform.tenants.routing import tenant_for_host


class TenantRoutingMiddleware:
    """Route each request to its tenant's schema by host.

    An unknown or disallowed host, or a tenant that is not (yet, or any more) live, gets a 404
    error envelope: never the public site, never another tenant's. A suspended tenant gets a
    403 that says so. Lookups come from a per-process cache (no query per request), whose
    generation is read once for the whole request.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with tenancy_cache.pinned():
            response = self.route(request)
            if response is None:
                response = self.get_response(request)
        return response

    def route(self, request):
        try:
            hostname = TenantMainMiddleware.hostname_from_request(request)
        except DisallowedHost:
            return self.unknown_host(request)
        tenant = tenant_for_host(hostname)
        if tenant is None or tenant.status not in (Tenant.Status.ACTIVE, Tenant.Status.SUSPENDED):
            return self.unknown_host(request)
        tenant.domain_url = hostname
        request.tenant = tenant
        # Re-pointing the connection costs a `SET search_path` round trip; a persistent
        # connection still on this tenant's schema (django-tenants forgets the setting on
        # rollback and reconnect) needs none.
        if connection.tenant is not tenant or not connection.search_path_set_schemas:
            connection.set_tenant(tenant)
        tenant_var.set(tenant.schema_name)
        TenantMainMiddleware.setup_url_routing(request)
        if tenant.status == Tenant.Status.SUSPENDED:
            return self.suspended(request, tenant)
        return None

    @staticmethod
    def unknown_host(request):
        connection.set_schema_to_public()
        return error_response(ErrorCode.NOT_FOUND, "No organisation is served at this address")

    @staticmethod
    def suspended(request, tenant):
        message = f"The workspace of {tenant.name} is suspended. Contact your provider."
        if is_api_request(request):
            return error_response(ErrorCode.PERMISSION_DENIED, message)
        return render(
            request, "errors/suspended.html", {"tenant": tenant, "message": message}, status=403
        )
