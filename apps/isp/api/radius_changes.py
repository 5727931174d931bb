"""Changes of authorization on the API (/api/v1/isp/radius-changes/): what billing sent to the
NAS holding each session (CoA / Disconnect, apps.isp.services.coa), read-only, filtered by
status, service, action, reason and NAS; `POST {id}/retry/` sends a failed one again. A feature
of the plans with `isp.radius`. The filter serves the staff page of unconfirmed changes too."""

import django_filters
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import action

from apps.core.api.filters import FilterSet, IntegerFilter
from apps.core.api.serializers import ModelSerializer
from apps.core.api.viewsets import BaseViewSet, ReadOnlyModelViewSet
from apps.isp.constants import RADIUS
from apps.isp.models import AuthorizationChange
from apps.isp.services import coa

__all__ = ["AuthorizationChangeFilter", "AuthorizationChangeSerializer", "RadiusChangeViewSet"]


class AuthorizationChangeFilter(FilterSet):
    nas = IntegerFilter(field_name="session__nas", label="NAS")
    customer = IntegerFilter(field_name="service__customer", label="Customer")
    created_after = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")

    class Meta:
        model = AuthorizationChange
        fields = ["status", "service", "action", "reason", "session"]


class AuthorizationChangeSerializer(ModelSerializer):
    customer = serializers.IntegerField(source="service.customer_id", read_only=True)
    customer_name = serializers.CharField(source="service.customer.name", read_only=True)
    nas = serializers.IntegerField(source="session.nas_id", read_only=True)
    nas_name = serializers.CharField(source="session.nas.name", read_only=True)
    acct_session_id = serializers.CharField(source="session.session_id", read_only=True)
    username = serializers.CharField(source="session.username", read_only=True)

    class Meta:
        model = AuthorizationChange
        fields = ["id", "service", "customer", "customer_name", "session", "acct_session_id",
                  "username", "nas", "nas_name", "action", "reason", "attributes", "status",
                  "attempts", "next_attempt_at", "last_result", "created_at",
                  "confirmed_at"]  # fmt: skip
        read_only_fields = fields


class RadiusChangeViewSet(ReadOnlyModelViewSet):
    """Changes of authorization sent to live sessions, newest first: `status=pending` is what
    waits for its (next) attempt, `status=failed` what the NAS never confirmed."""

    queryset = AuthorizationChange.objects.select_related("service__customer", "session__nas")
    serializer_class = AuthorizationChangeSerializer
    filterset_class = AuthorizationChangeFilter
    search_fields = ["service__customer__name", "session__username", "session__session_id"]
    ordering_fields = ["created_at", "next_attempt_at", "attempts", "status"]
    resource_type = "radius_change"
    required_feature = RADIUS
    object_actions = {**BaseViewSet.object_actions, "retry": "change"}

    @extend_schema(request=None, responses=AuthorizationChangeSerializer)
    @action(detail=True, methods=["post"])
    def retry(self, request, pk=None):
        """Send a failed change again (pending, attempts from zero); 409 CONFLICT for any other."""
        change = coa.change_retry(change=self.get_object(), actor=self.actor)
        return self.respond(change)
