"""drf-spectacular: document the tenant-bound JWT like simplejwt's own bearer scheme."""

from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme


class TenantJWTScheme(SimpleJWTScheme):
    target_class = "apps.identity.authentication.TenantJWTAuthentication"
    name = "tenantJWT"
