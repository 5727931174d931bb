"""The tenant's own view of its licence, on its host: apps, plans, features, usage."""

from django.db import connection
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.platform.licensing.entitlements import entitlements_for
from apps.platform.licensing.selectors import usage_for_tenant


class LicenceSerializer(serializers.Serializer):
    app = serializers.CharField()
    app_name = serializers.CharField()
    plan = serializers.CharField()
    plan_name = serializers.CharField()
    status = serializers.CharField()
    usable = serializers.BooleanField()
    usable_until = serializers.DateTimeField(allow_null=True)
    features = serializers.ListField(child=serializers.CharField())
    usage = serializers.ListField(child=serializers.DictField())


class LicenceView(APIView):
    """What this organisation subscribes to, and its usage against each limit."""

    resource_type = "licence"

    @extend_schema(responses=LicenceSerializer(many=True))
    def get(self, request):
        entitlements = entitlements_for(connection.schema_name)
        usage = {}
        for line in usage_for_tenant(request.tenant):
            usage.setdefault(line.app, []).append(
                {"limit": line.limit_key, "used": line.used, "max": line.limit}
            )
        rows = [
            {
                "app": licence.app,
                "app_name": licence.app_name,
                "plan": licence.plan,
                "plan_name": licence.plan_name,
                "status": licence.status,
                "usable": licence.usable,
                "usable_until": licence.usable_until,
                "features": sorted(licence.features),
                "usage": usage.get(licence.app, []),
            }
            for licence in entitlements.licences.values()
        ]
        return Response(LicenceSerializer(rows, many=True).data)
