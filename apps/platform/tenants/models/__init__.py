from apps.platform.tenants.models.tenants import Domain, Tenant

__all__ = ["Domain", "Tenant"]
