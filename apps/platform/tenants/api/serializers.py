from rest_framework import serializers

from apps.core.api.serializers import ModelSerializer
from apps.platform.tenants.models import Tenant
from apps.platform.tenants.services import tenant_host


class TenantSerializer(ModelSerializer):
    host = serializers.SerializerMethodField()
    apps = serializers.SerializerMethodField()

    class Meta:
        model = Tenant
        fields = [
            "id", "name", "slug", "schema_name", "status", "status_reason", "source",
            "provisioning_step", "provisioning_attempts", "host", "apps", "admin_email",
            "created_at", "provisioned_at", "export_archive",
        ]  # fmt: skip
        read_only_fields = fields

    def get_host(self, tenant) -> str | None:
        return tenant_host(tenant.slug) if tenant.schema_name != "public" else None

    def get_apps(self, tenant) -> list[dict]:
        return [
            {"app": sub.app.key, "plan": sub.plan.key, "status": sub.status}
            for sub in tenant.subscriptions.all()
        ]


class TenantCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    slug = serializers.CharField(max_length=63)
    admin_email = serializers.EmailField()
    admin_password = serializers.CharField(write_only=True, style={"input_type": "password"})
    admin_username = serializers.CharField(max_length=150, required=False, allow_blank=True)
    apps = serializers.ListField(child=serializers.CharField(max_length=20), required=False)


class TenantSuspendSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class UsageLineSerializer(serializers.Serializer):
    app = serializers.CharField()
    limit_key = serializers.CharField()
    used = serializers.IntegerField(allow_null=True)
    limit = serializers.IntegerField(allow_null=True)
    percent = serializers.IntegerField(allow_null=True)
    exceeded = serializers.BooleanField()
