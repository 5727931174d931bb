"""GET /api/v1/audit/: the audit trail of this host's schema, read-only and filterable.

On a tenant host, for the tenant's super admins; on the public host, for platform staff. Each
sees its own schema's rows only (apps.core lives in both schemas).
"""

import django_filters
from django.db import connection
from rest_framework.permissions import BasePermission
from rest_framework.routers import SimpleRouter

from apps.core.api.filters import FilterSet
from apps.core.api.serializers import ModelSerializer
from apps.core.api.viewsets import ReadOnlyModelViewSet
from apps.core.models import AuditEntry

__all__ = ["AuditEntryViewSet", "CanReadAuditTrail", "urlpatterns"]


class CanReadAuditTrail(BasePermission):
    message = "Only the organisation's super admins may read the audit trail."

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not (user and user.is_authenticated and user.is_active):
            return False
        if connection.schema_name == "public":
            return user.is_staff
        return user.is_superuser


class AuditEntrySerializer(ModelSerializer):
    class Meta:
        model = AuditEntry
        fields = [
            "id", "created_at", "actor", "actor_id", "actor_type", "tenant", "action",
            "object_type", "object_id", "object_repr", "changes", "request_id", "ip", "source",
        ]  # fmt: skip
        read_only_fields = fields


class AuditEntryFilter(FilterSet):
    created_at__gte = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_at__lte = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lte")

    class Meta:
        model = AuditEntry
        fields = [
            "action", "object_type", "object_id", "actor", "actor_type", "source", "request_id",
        ]  # fmt: skip


class AuditEntryViewSet(ReadOnlyModelViewSet):
    """Who changed what, when and from where: every create, update and delete, newest first."""

    queryset = AuditEntry.objects.order_by("-created_at", "-id")
    serializer_class = AuditEntrySerializer
    permission_classes = [CanReadAuditTrail]
    resource_type = "audit_entry"
    filterset_class = AuditEntryFilter
    search_fields = ["object_repr", "actor", "request_id"]
    ordering_fields = ["created_at"]


router = SimpleRouter()
router.register("audit", AuditEntryViewSet, basename="audit-entry")

urlpatterns = router.urls
