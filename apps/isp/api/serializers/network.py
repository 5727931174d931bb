"""IPAM: VRFs, prefixes and addresses, and the inputs of allocation."""

import ipaddress

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.core.api.serializers import ModelSerializer
from apps.isp.models import IPAddress, Prefix, Service, Vrf
from apps.isp.selectors.network import prefix_utilisation
from apps.isp.services.ipam import MAX_ALLOCATION, MAX_LISTED

__all__ = [
    "AddressField",
    "AllocateSerializer",
    "AvailableQuerySerializer",
    "AvailableAddressSerializer",
    "IPAddressSerializer",
    "NetworkField",
    "PrefixSerializer",
    "VrfSerializer",
]


class _IPField(serializers.Field):
    """An address or network given as text ("100.64.0.0/24"), never a number: Python's
    ipaddress reads an integer as an address, so `5` would be 0.0.0.5."""

    parse = staticmethod(ipaddress.ip_address)
    default_error_messages = {"invalid": "Enter a valid IP address.", "type": "Give text."}

    def to_internal_value(self, data):
        if not isinstance(data, str) or len(data) > 64:
            self.fail("type" if not isinstance(data, str) else "invalid")
        try:
            return self.parse(data.strip())
        except ValueError:
            self.fail("invalid")

    def to_representation(self, value):
        return str(value)


@extend_schema_field({"type": "string", "example": "100.64.0.10"})
class AddressField(_IPField):
    pass


@extend_schema_field({"type": "string", "example": "100.64.0.0/24"})
class NetworkField(_IPField):
    default_error_messages = {
        "invalid": "Enter a network in CIDR notation (100.64.0.0/24) with no host bits set.",
        "type": "Give text.",
    }

    @staticmethod
    def parse(value):
        return ipaddress.ip_network(value, strict=True)


class VrfSerializer(ModelSerializer):
    class Meta:
        model = Vrf
        fields = ["id", "name", "rd", "description", "created_at", "updated_at"]
        read_only_fields = ["created_at", "updated_at"]


class PrefixSerializer(ModelSerializer):
    """`depth` is the number of prefixes of the VRF that contain this one (0: top level);
    `utilisation` the percentage in use: a container's space covered by child prefixes, any
    other prefix's usable addresses allocated."""

    prefix = NetworkField()
    family = serializers.SerializerMethodField()
    depth = serializers.IntegerField(read_only=True)
    size = serializers.SerializerMethodField(help_text="Usable addresses.")
    address_count = serializers.IntegerField(read_only=True, help_text="Addresses recorded.")
    utilisation = serializers.SerializerMethodField(help_text="Percent in use.")

    class Meta:
        model = Prefix
        fields = ["id", "vrf", "prefix", "family", "purpose", "status", "description", "depth",
                  "size", "address_count", "utilisation", "created_at", "updated_at"]  # fmt: skip
        read_only_fields = ["created_at", "updated_at"]

    def get_family(self, prefix) -> int:
        return prefix.network.version

    def get_size(self, prefix) -> str:  # a /64 holds 2**64: text, as JSON numbers lose digits
        return str(prefix.usable_size)

    def get_utilisation(self, prefix) -> float:
        return prefix_utilisation(prefix)


class IPAddressSerializer(ModelSerializer):
    address = AddressField()
    family = serializers.SerializerMethodField()

    class Meta:
        model = IPAddress
        fields = ["id", "vrf", "address", "family", "status", "service", "quarantined_until",
                  "description", "created_at", "updated_at"]  # fmt: skip
        read_only_fields = ["created_at", "updated_at"]

    def get_family(self, row) -> int:
        return ipaddress.ip_address(row.address).version


class AllocateSerializer(serializers.Serializer):
    count = serializers.IntegerField(min_value=1, max_value=MAX_ALLOCATION, default=1)
    service = serializers.PrimaryKeyRelatedField(
        queryset=Service.objects.all(), required=False, allow_null=True, default=None
    )
    description = serializers.CharField(max_length=200, required=False, default="")


class AvailableQuerySerializer(serializers.Serializer):
    limit = serializers.IntegerField(min_value=1, max_value=MAX_LISTED, default=50)


class AvailableAddressSerializer(serializers.Serializer):
    address = AddressField()
    family = serializers.IntegerField()
