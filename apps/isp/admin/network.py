"""The network in the tenant admin: VRFs, prefixes (with depth and utilisation), addresses, the
network settings (quarantine length); sites, devices (through the inventory services: the
plan's device limit, uplinks without loops) and circuits."""

from django.contrib import admin

from apps.core.kit.admin import ServiceAdmin
from apps.isp.models import Circuit, Device, IPAddress, NetworkSettings, Prefix, Site, Vrf
from apps.isp.selectors.network import prefix_utilisation, prefixes_with_usage
from apps.isp.services import inventory


@admin.register(Vrf)
class VrfAdmin(ServiceAdmin):
    list_display = ["name", "rd", "description"]
    search_fields = ["name", "rd", "description"]


@admin.register(Prefix)
class PrefixAdmin(ServiceAdmin):
    list_display = ["prefix", "vrf", "purpose", "status", "depth", "utilisation", "description"]
    list_filter = ["purpose", "status", "vrf"]
    search_fields = ["description"]
    readonly_fields = ["created_at", "updated_at"]

    def get_queryset(self, request):
        return prefixes_with_usage(super().get_queryset(request))

    @admin.display(description="depth", ordering="depth")
    def depth(self, prefix):
        return prefix.depth

    @admin.display(description="utilisation (%)")
    def utilisation(self, prefix):
        return prefix_utilisation(prefix)


@admin.register(IPAddress)
class IPAddressAdmin(ServiceAdmin):
    list_display = ["address", "vrf", "status", "service", "quarantined_until", "description"]
    list_filter = ["status", "vrf"]
    search_fields = ["description", "service__customer__name"]
    list_select_related = ["vrf", "service__customer", "service__plan"]
    raw_id_fields = ["service"]
    readonly_fields = ["created_at", "updated_at"]


@admin.register(NetworkSettings)
class NetworkSettingsAdmin(ServiceAdmin):
    list_display = ["__str__", "quarantine_days"]

    def has_add_permission(self, request):
        return False  # one row, created with the tenant

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Site)
class SiteAdmin(ServiceAdmin):
    list_display = ["name", "status", "city", "country", "latitude", "longitude"]
    list_filter = ["status", "country"]
    search_fields = ["name", "street", "city", "postcode", "description"]


@admin.register(Device)
class DeviceAdmin(ServiceAdmin):
    list_display = ["name", "role", "status", "vendor", "model", "site", "parent", "service"]
    list_filter = ["role", "status", "site"]
    search_fields = ["name", "vendor", "model", "serial", "description"]
    list_select_related = ["site", "parent", "service__customer", "service__plan"]
    raw_id_fields = ["service", "parent", "management_ip"]
    readonly_fields = ["created_at", "updated_at"]
    create_service = staticmethod(inventory.device_create)
    update_service = staticmethod(inventory.device_update)
    destroy_service = staticmethod(inventory.device_delete)
    service_object = "device"


@admin.register(Circuit)
class CircuitAdmin(ServiceAdmin):
    list_display = ["cid", "provider", "kind", "status", "capacity_mbps", "monthly_cost",
                    "site_a", "site_z", "term_ends_on"]  # fmt: skip
    list_filter = ["status", "provider"]
    search_fields = ["provider", "cid", "kind", "description"]
    list_select_related = ["site_a", "site_z"]
