from pathlib import Path

from django.conf import settings
from django.db.models import Prefetch
from django.http import FileResponse
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.response import Response

from apps.core.api.viewsets import BaseViewSet
from apps.platform.api_permissions import IsPlatformStaff
from apps.platform.licensing.models import Subscription
from apps.platform.licensing.selectors import usage_for_tenant
from apps.platform.tenants import offboarding, services
from apps.platform.tenants.api.serializers import (
    TenantCreateSerializer,
    TenantSerializer,
    TenantSuspendSerializer,
    UsageLineSerializer,
)
from apps.platform.tenants.models import Tenant


class TenantViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, BaseViewSet):
    """Tenants of the installation. Creating one answers 202: provisioning runs in the
    background; poll the tenant until `status` is `active` (or `failed`, with the reason)."""

    queryset = (
        Tenant.objects.exclude(schema_name="public")
        .prefetch_related(
            Prefetch("subscriptions", Subscription.objects.select_related("app", "plan"))
        )
        .order_by("name")
    )
    serializer_class = TenantSerializer
    permission_classes = [IsPlatformStaff]
    resource_type = "tenant"
    filterset_fields = ["status", "source"]
    search_fields = ["name", "slug"]
    ordering_fields = ["name", "created_at", "status"]

    @extend_schema(request=TenantCreateSerializer, responses={202: TenantSerializer})
    def create(self, request):
        data = self.validated(TenantCreateSerializer)
        tenant = services.tenant_request(**data, source=Tenant.Source.API)
        return self.accepted(tenant)

    @extend_schema(request=TenantSuspendSerializer, responses=TenantSerializer)
    @action(detail=True, methods=["post"])
    def suspend(self, request, pk=None):
        reason = self.validated(TenantSuspendSerializer).get("reason", "")
        return self.respond(services.tenant_suspend(tenant=self.get_object(), reason=reason))

    @extend_schema(request=None, responses=TenantSerializer)
    @action(detail=True, methods=["post"])
    def resume(self, request, pk=None):
        return self.respond(services.tenant_resume(tenant=self.get_object()))

    @extend_schema(request=None, responses={202: TenantSerializer})
    @action(detail=True, methods=["post"])
    def retry(self, request, pk=None):
        return self.accepted(services.tenant_retry(tenant=self.get_object()))

    @extend_schema(request=None, responses={202: TenantSerializer})
    @action(detail=True, methods=["post"])
    def offboard(self, request, pk=None):
        """Export the tenant's data, then drop its schema (in the background)."""
        return self.accepted(offboarding.tenant_offboard_request(self.get_object()))

    @extend_schema(responses={(200, "application/zip"): bytes})
    @action(detail=True, methods=["get"])
    def export(self, request, pk=None):
        """Download the archive written when the tenant was offboarded."""
        tenant = self.get_object()
        path = Path(settings.MEDIA_ROOT) / tenant.export_archive if tenant.export_archive else None
        if path is None or not path.is_file():
            from rest_framework.exceptions import NotFound

            raise NotFound("This tenant has no data export.")
        return FileResponse(path.open("rb"), as_attachment=True, filename=path.name)

    @extend_schema(responses=UsageLineSerializer(many=True))
    @action(detail=True, methods=["get"])
    def usage(self, request, pk=None):
        """Usage against each limit of the tenant's plans, counted in its schema now."""
        lines = usage_for_tenant(self.get_object())
        return Response(UsageLineSerializer(lines, many=True).data)

    def accepted(self, tenant):
        response = self.respond(tenant, status.HTTP_202_ACCEPTED)
        response["Location"] = f"/api/v1/platform/tenants/{tenant.pk}/"
        return response
