"""Network inventory: sites, devices and circuits."""

from drf_spectacular.utils import extend_schema_field
from netaddr import EUI, AddrFormatError, mac_unix_expanded
from rest_framework import serializers

from apps.core.api.serializers import CurrencyField, ModelSerializer
from apps.isp.models import Circuit, Device, Site

__all__ = ["CircuitSerializer", "DeviceSerializer", "MacField", "SiteSerializer"]


@extend_schema_field({"type": "string", "example": "00:1a:2b:3c:4d:5e", "nullable": True})
class MacField(serializers.Field):
    """A MAC address as text in any common notation; shown as 00:1a:2b:3c:4d:5e."""

    default_error_messages = {"invalid": "Enter a MAC address, e.g. 00:1a:2b:3c:4d:5e."}

    def __init__(self, **kwargs):
        kwargs.setdefault("allow_null", True)
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if data in ("", None):
            return None
        if not isinstance(data, str) or len(data) > 32:
            self.fail("invalid")
        try:
            return EUI(data.strip(), version=48, dialect=mac_unix_expanded)
        except (AddrFormatError, TypeError, ValueError):
            self.fail("invalid")

    def to_representation(self, value):
        if value is None:
            return None
        return str(EUI(str(value), dialect=mac_unix_expanded))


class SiteSerializer(ModelSerializer):
    class Meta:
        model = Site
        fields = ["id", "name", "status", "street", "city", "postcode", "country", "latitude",
                  "longitude", "description", "created_at", "updated_at"]  # fmt: skip
        read_only_fields = ["created_at", "updated_at"]


class DeviceSerializer(ModelSerializer):
    mac = MacField()
    site_name = serializers.CharField(
        source="site.name", read_only=True, allow_null=True, default=None
    )
    management_address = serializers.CharField(
        source="management_ip.address", read_only=True, allow_null=True, default=None
    )

    class Meta:
        model = Device
        fields = ["id", "name", "role", "status", "vendor", "model", "serial", "mac",
                  "management_ip", "management_address", "site", "site_name", "parent",
                  "service", "description", "created_at", "updated_at"]  # fmt: skip
        read_only_fields = ["created_at", "updated_at"]


class CircuitSerializer(ModelSerializer):
    currency = CurrencyField(help_text="Currency of the monthly cost.")

    class Meta:
        model = Circuit
        fields = ["id", "provider", "cid", "kind", "status", "capacity_mbps", "monthly_cost",
                  "currency", "site_a", "site_z", "installed_on", "term_ends_on", "description",
                  "created_at", "updated_at"]  # fmt: skip
        read_only_fields = ["created_at", "updated_at"]
