from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

from apps.platform.metering.models import UsageDay


@extend_schema_serializer(component_name="PlatformUsageDay")
class UsageDaySerializer(serializers.ModelSerializer):
    tenant = serializers.CharField(source="tenant.slug", read_only=True)
    api_requests = serializers.DictField(child=serializers.IntegerField(), read_only=True)
    task_seconds = serializers.DictField(child=serializers.FloatField(), read_only=True)

    class Meta:
        model = UsageDay
        fields = ["id", "tenant", "day", "db_bytes", "storage_bytes", "storage_files",
                  "api_requests", "api_requests_total", "task_seconds", "task_seconds_total",
                  "active_users", "measured_at"]  # fmt: skip
        read_only_fields = fields
