from django.db.models import Prefetch

from apps.core.api.viewsets import ReadOnlyModelViewSet
from apps.platform.api_permissions import IsPlatformStaff
from apps.platform.catalog.api.serializers import AppSerializer, PlanSerializer
from apps.platform.catalog.models import App, Plan


class AppViewSet(ReadOnlyModelViewSet):
    """The catalog: apps with the plans on sale."""

    queryset = App.objects.prefetch_related(
        Prefetch("plans", Plan.objects.filter(is_active=True), to_attr="plans_on_sale")
    )
    serializer_class = AppSerializer
    permission_classes = [IsPlatformStaff]
    resource_type = "app"
    filterset_fields = ["key", "is_active"]


class PlanViewSet(ReadOnlyModelViewSet):
    queryset = Plan.objects.select_related("app")
    serializer_class = PlanSerializer
    permission_classes = [IsPlatformStaff]
    resource_type = "plan"
    filterset_fields = {"app__key": ["exact"], "key": ["exact"], "is_active": ["exact"]}
