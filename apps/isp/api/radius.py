"""RADIUS over the staff API (/api/v1/isp/...): the NAS registry, the attribute map per NAS
type, the services' logins and the accounting sessions (read-only); and a service's usage by
day (`GET services/{id}/usage/`, staff and portal). All `isp.radius`: 403 FEATURE_NOT_IN_PLAN
on Basic."""

import django_filters
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response

from apps.core.api.filters import FilterSet
from apps.core.api.viewsets import ModelViewSet, ReadOnlyModelViewSet
from apps.isp.api import serializers as s
from apps.isp.constants import RADIUS
from apps.isp.models import Nas, NasAttribute, RadiusLogin, RadiusSession, Service
from apps.isp.selectors.radius import month_usage, sessions_listed, usage_by_day
from apps.isp.services import nas as radius

__all__ = [
    "NasAttributeViewSet",
    "NasViewSet",
    "RadiusLoginViewSet",
    "RadiusSessionViewSet",
    "USAGE_SCHEMA",
    "usage_answer",
]


class NasFilter(FilterSet):
    class Meta:
        model = Nas
        fields = ["type", "site"]


class NasAttributeFilter(FilterSet):
    class Meta:
        model = NasAttribute
        fields = ["nas_type", "attribute"]


class RadiusLoginFilter(FilterSet):
    class Meta:
        model = RadiusLogin
        fields = ["service", "kind"]


class RadiusSessionFilter(FilterSet):
    started_after = django_filters.IsoDateTimeFilter(field_name="started_at", lookup_expr="gte")
    started_before = django_filters.IsoDateTimeFilter(field_name="started_at", lookup_expr="lt")

    class Meta:
        model = RadiusSession
        fields = ["service", "nas", "status"]


class NasViewSet(ModelViewSet):
    """The network access servers FreeRADIUS answers for this organisation. The address is
    unique over every organisation (400 on `address` when taken: which one holds it is not
    told); the shared secret (16-128 printable characters) is write-only and encrypted at rest.
    A NAS that has reported sessions cannot be deleted (409)."""

    queryset = Nas.objects.select_related("site")
    serializer_class = s.NasSerializer
    filterset_class = NasFilter
    search_fields = ["name", "description"]
    ordering_fields = ["name", "address", "type", "created_at"]
    resource_type = "nas"
    required_feature = RADIUS
    create_service = staticmethod(radius.nas_create)
    update_service = staticmethod(radius.nas_update)
    destroy_service = staticmethod(radius.nas_delete)


class NasAttributeViewSet(ModelViewSet):
    """The reply attributes each NAS type gets (speeds as `{down_kbps}`, `{up_kbps}`,
    `{down_bps}`, `{up_bps}`); a type without rows uses the built-in map."""

    queryset = NasAttribute.objects.all()
    serializer_class = s.NasAttributeSerializer
    filterset_class = NasAttributeFilter
    search_fields = ["attribute", "value"]
    ordering_fields = ["nas_type", "attribute"]
    resource_type = "nas_attribute"
    required_feature = RADIUS
    create_service = staticmethod(radius.nas_attribute_set)
    update_service = staticmethod(radius.nas_attribute_update)
    destroy_service = staticmethod(radius.nas_attribute_delete)


class RadiusLoginViewSet(ModelViewSet):
    """How each service signs in: PPPoE (`username`, sent as `username@<organisation slug>`,
    and a password, generated when blank) or IPoE (the CPE's MAC). One per service."""

    queryset = RadiusLogin.objects.select_related("service")
    serializer_class = s.RadiusLoginSerializer
    filterset_class = RadiusLoginFilter
    search_fields = ["username"]
    ordering_fields = ["username", "kind", "created_at"]
    resource_type = "radius_login"
    required_feature = RADIUS
    create_service = staticmethod(radius.radius_login_create)
    update_service = staticmethod(radius.radius_login_update)
    destroy_service = staticmethod(radius.radius_login_delete)


class RadiusSessionViewSet(ReadOnlyModelViewSet):
    """The sessions the NAS reported through accounting, newest first."""

    queryset = sessions_listed()
    serializer_class = s.RadiusSessionSerializer
    filterset_class = RadiusSessionFilter
    search_fields = ["username", "calling_station", "session_id"]
    ordering_fields = ["started_at", "updated_at", "stopped_at", "status", "username"]
    resource_type = "radius_session"
    required_feature = RADIUS


#: The usage actions' schema (staff and portal).
USAGE_SCHEMA = extend_schema(
    parameters=[
        OpenApiParameter("start", str, description="YYYY-MM-DD; default 29 days before end"),
        OpenApiParameter("end", str, description="YYYY-MM-DD; default today"),
    ],
    responses=s.UsageSerializer,
)


def usage_answer(request, service: Service) -> Response:
    """A service's usage by day over `?start=&end=` (at most 366 days) with the totals and the
    month against the cap."""
    query = s.UsageQuerySerializer(data=request.query_params)
    query.is_valid(raise_exception=True)
    start, end = query.validated_data["start"], query.validated_data["end"]
    days = usage_by_day(service, start, end)
    down, up = sum(p.download for p in days), sum(p.upload for p in days)
    usage = {
        "id": str(service.pk),
        "service": service.pk,
        "start": start,
        "end": end,
        "days": days,
        "totals": {"download_octets": down, "upload_octets": up, "total_octets": down + up},
        "month": month_usage(service),
    }
    return Response(s.UsageSerializer(usage).data)
