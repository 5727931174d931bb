from apps.platform.tenants.models.tenants import Domain, NasRoute, SpareSchema, Tenant

__all__ = ["Domain", "NasRoute", "SpareSchema", "Tenant"]
