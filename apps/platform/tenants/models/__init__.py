from apps.platform.tenants.models.tenants import Domain, SpareSchema, Tenant

__all__ = ["Domain", "SpareSchema", "Tenant"]
