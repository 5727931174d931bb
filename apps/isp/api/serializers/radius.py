"""RADIUS: network access servers (the secret is write-only), the attribute map, the services'
logins, the accounting sessions, and a service's usage by day."""

import datetime

from django.utils import timezone
from rest_framework import serializers

from apps.core.api.serializers import DateField, ModelSerializer
from apps.isp.api.serializers.inventory import MacField
from apps.isp.models import Nas, NasAttribute, RadiusLogin, RadiusSession
from apps.isp.selectors.radius import DEFAULT_USAGE_DAYS, MAX_USAGE_DAYS, wire_username

__all__ = [
    "NasAttributeSerializer",
    "NasSerializer",
    "RadiusLoginSerializer",
    "RadiusSessionSerializer",
    "UsageQuerySerializer",
    "UsageSerializer",
]


class NasSerializer(ModelSerializer):
    secret = serializers.CharField(
        write_only=True,
        max_length=128,
        help_text="The RADIUS shared secret, 16-128 printable ASCII characters. Never shown.",
    )
    site_name = serializers.CharField(
        source="site.name", read_only=True, allow_null=True, default=None
    )

    class Meta:
        model = Nas
        fields = ["id", "name", "address", "secret", "type", "coa_port", "site", "site_name",
                  "description", "created_at", "updated_at"]  # fmt: skip
        read_only_fields = ["created_at", "updated_at"]
        # uniqueness over every organisation is the service's (NasRoute): one message for both
        extra_kwargs = {"address": {"validators": []}}


class NasAttributeSerializer(ModelSerializer):
    class Meta:
        model = NasAttribute
        fields = ["id", "nas_type", "attribute", "value"]
        validators = []  # the pair's uniqueness is the model's (full_clean: 400 on the pair)


def _slug(context) -> str:
    if "_slug" not in context:
        request = context.get("request")
        tenant = getattr(request, "tenant", None)
        context["_slug"] = getattr(tenant, "slug", "")
    return context["_slug"]


def _may_see_passwords(context) -> bool:
    if "_see_passwords" not in context:
        request = context.get("request")
        user = getattr(request, "user", None)
        context["_see_passwords"] = bool(
            user is not None and user.is_authenticated and user.has_perm("isp.change_radiuslogin")
        )
    return context["_see_passwords"]


class RadiusLoginSerializer(ModelSerializer):
    mac = MacField(help_text="An IPoE login's CPE MAC address.")
    password = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=128,
        help_text="A PPPoE login's password; blank: one is generated. Shown only to staff who "
        "may change logins (they give it to the customer).",
    )
    wire_username = serializers.SerializerMethodField(
        help_text="The user name the subscriber's router sends: name@<organisation slug>."
    )

    class Meta:
        model = RadiusLogin
        fields = ["id", "service", "kind", "username", "wire_username", "password", "mac",
                  "throttled_month", "created_at", "updated_at"]  # fmt: skip
        read_only_fields = ["throttled_month", "created_at", "updated_at"]
        extra_kwargs = {"username": {"validators": []}, "service": {"validators": []}}

    def get_wire_username(self, login) -> str:
        return wire_username(login, _slug(self.context))

    def validate_username(self, value):
        return value.strip().lower() if isinstance(value, str) and value.strip() else None

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if not _may_see_passwords(self.context):
            data.pop("password", None)
        return data


class RadiusSessionSerializer(ModelSerializer):
    nas_name = serializers.CharField(source="nas.name", read_only=True)
    customer = serializers.IntegerField(
        source="service.customer_id", read_only=True, allow_null=True, default=None
    )
    framed_ip = serializers.SerializerMethodField()

    class Meta:
        model = RadiusSession
        fields = ["id", "unique_id", "session_id", "service", "customer", "nas", "nas_name",
                  "username", "framed_ip", "calling_station", "status", "started_at",
                  "updated_at", "stopped_at", "input_octets", "output_octets",
                  "terminate_cause"]  # fmt: skip
        read_only_fields = fields

    def get_framed_ip(self, session) -> str | None:
        return None if session.framed_ip is None else str(session.framed_ip)


class UsageQuerySerializer(serializers.Serializer):
    """`?start=&end=` (YYYY-MM-DD, inclusive): default the last 30 days, at most 366."""

    start = DateField(required=False)
    end = DateField(required=False)

    def validate(self, attrs):
        end = attrs.get("end") or timezone.localdate()
        start = attrs.get("start") or end - datetime.timedelta(days=DEFAULT_USAGE_DAYS - 1)
        if start > end:
            raise serializers.ValidationError({"start": "The start is after the end."})
        if (end - start).days + 1 > MAX_USAGE_DAYS:
            raise serializers.ValidationError(
                {"end": f"A usage range is at most {MAX_USAGE_DAYS} days."}
            )
        return {"start": start, "end": end}


class UsageDaySerializer(serializers.Serializer):
    day = serializers.DateField()
    download_octets = serializers.IntegerField(source="download")
    upload_octets = serializers.IntegerField(source="upload")
    total_octets = serializers.IntegerField(source="total")


class UsageTotalsSerializer(serializers.Serializer):
    download_octets = serializers.IntegerField()
    upload_octets = serializers.IntegerField()
    total_octets = serializers.IntegerField()


class MonthUsageSerializer(serializers.Serializer):
    month = serializers.DateField()
    octets = serializers.IntegerField()
    gigabytes = serializers.FloatField()
    cap_gb = serializers.IntegerField(allow_null=True)
    percent = serializers.IntegerField(allow_null=True)
    throttled = serializers.BooleanField(help_text="Slowed down for fair use this month.")


class UsageSerializer(serializers.Serializer):
    """A service's traffic by day (octets; download is what the subscriber received), the
    range's totals, and the current month against the plan's data cap."""

    id = serializers.CharField()
    service = serializers.IntegerField()
    start = serializers.DateField()
    end = serializers.DateField()
    days = UsageDaySerializer(many=True)
    totals = UsageTotalsSerializer()
    month = MonthUsageSerializer()
