"""The daily usage series over the API: platform staff every tenant's
(/api/v1/platform/usage/), a tenant's super admin its own only (/api/v1/billing/usage/ on its
host; another tenant's id is a 404)."""

from rest_framework import mixins

from apps.core.api.viewsets import BaseViewSet
from apps.platform.api_permissions import IsPlatformStaff, IsTenantSuperAdmin
from apps.platform.metering.api.serializers import UsageDaySerializer
from apps.platform.metering.models import UsageDay

DAY_FILTERS = {"day": ["exact", "gte", "lte"]}


class PlatformUsageViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, BaseViewSet):
    queryset = UsageDay.objects.select_related("tenant").order_by("-day", "tenant_id")
    serializer_class = UsageDaySerializer
    permission_classes = [IsPlatformStaff]
    resource_type = "usage_day"
    filterset_fields = {"tenant__slug": ["exact"], **DAY_FILTERS}


class TenantUsageViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, BaseViewSet):
    queryset = UsageDay.objects.select_related("tenant")
    serializer_class = UsageDaySerializer
    permission_classes = [IsTenantSuperAdmin]
    resource_type = "usage_day"
    filterset_fields = DAY_FILTERS

    def restrict(self, queryset, user, action):
        return queryset.filter(tenant_id=self.request.tenant.pk).order_by("-day")
