"""Monitoring over the staff API (/api/v1/isp/...): what is probed (`monitors/`, with
`POST {id}/probe/` to probe one device at once), the probe history (`probe-results/`) and state
changes (`monitor-events/`), read-only; maintenance windows; outages, read-only, with the
services they hit and their timeline. All `isp.monitoring`: 403 FEATURE_NOT_IN_PLAN on Basic."""

import django_filters
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import action

from apps.core.api.filters import FilterSet, IntegerFilter
from apps.core.api.serializers import ModelSerializer
from apps.core.api.viewsets import BaseViewSet, ModelViewSet, ReadOnlyModelViewSet
from apps.isp.constants import MONITORING
from apps.isp.models import (
    MaintenanceWindow,
    Monitor,
    MonitorEvent,
    Outage,
    OutageEvent,
    ProbeResult,
)
from apps.isp.services import monitoring

__all__ = [
    "MaintenanceWindowViewSet",
    "MonitorEventViewSet",
    "MonitorFilter",
    "MonitorViewSet",
    "OutageFilter",
    "OutageViewSet",
    "ProbeResultViewSet",
]


class MonitorFilter(FilterSet):
    class Meta:
        model = Monitor
        fields = ["device", "enabled", "method", "state", "alert"]


class ProbeResultFilter(FilterSet):
    device = IntegerFilter(field_name="monitor__device", label="Device")
    at_after = django_filters.IsoDateTimeFilter(field_name="at", lookup_expr="gte")
    at_before = django_filters.IsoDateTimeFilter(field_name="at", lookup_expr="lt")

    class Meta:
        model = ProbeResult
        fields = ["monitor", "ok"]


class MonitorEventFilter(FilterSet):
    device = IntegerFilter(field_name="monitor__device", label="Device")
    at_after = django_filters.IsoDateTimeFilter(field_name="at", lookup_expr="gte")

    class Meta:
        model = MonitorEvent
        fields = ["monitor", "state"]


class MaintenanceWindowFilter(FilterSet):
    active_at = django_filters.IsoDateTimeFilter(method="_active_at", label="Active at")

    class Meta:
        model = MaintenanceWindow
        fields = ["device"]

    def _active_at(self, queryset, name, value):
        return queryset.filter(starts_at__lte=value, ends_at__gt=value)


class OutageFilter(FilterSet):
    open = django_filters.BooleanFilter(field_name="ended_at", lookup_expr="isnull", label="Open")
    started_after = django_filters.IsoDateTimeFilter(field_name="started_at", lookup_expr="gte")

    class Meta:
        model = Outage
        fields = ["device"]


class MonitorSerializer(ModelSerializer):
    device_name = serializers.CharField(source="device.name", read_only=True)
    address = serializers.CharField(
        source="device.management_ip.address", read_only=True, allow_null=True, default=None
    )

    class Meta:
        model = Monitor
        fields = ["id", "device", "device_name", "address", "enabled", "method", "tcp_port",
                  "snmp_enabled", "snmp_community", "snmp_port", "state", "alert",
                  "consecutive_failures", "last_probed_at", "last_latency_ms",
                  "last_loss_percent", "last_snmp_uptime", "last_snmp_at", "state_since",
                  "created_at"]  # fmt: skip
        read_only_fields = ["state", "alert", "consecutive_failures", "last_probed_at",
                            "last_latency_ms", "last_loss_percent", "last_snmp_uptime",
                            "last_snmp_at", "state_since", "created_at"]  # fmt: skip
        # The community is a secret: written, never answered back.
        extra_kwargs = {"snmp_community": {"write_only": True}}


class MonitorUpdateSerializer(MonitorSerializer):
    class Meta(MonitorSerializer.Meta):
        read_only_fields = [*MonitorSerializer.Meta.read_only_fields, "device"]


class ProbeResultSerializer(ModelSerializer):
    class Meta:
        model = ProbeResult
        fields = ["id", "monitor", "at", "ok", "latency_ms", "loss_percent", "snmp_ok",
                  "snmp_error", "snmp_uptime", "snmp_in_octets", "snmp_out_octets"]  # fmt: skip
        read_only_fields = fields


class MonitorEventSerializer(ModelSerializer):
    class Meta:
        model = MonitorEvent
        fields = ["id", "monitor", "at", "kind", "state", "message"]
        read_only_fields = fields


class MaintenanceWindowSerializer(ModelSerializer):
    device_name = serializers.CharField(source="device.name", read_only=True)

    class Meta:
        model = MaintenanceWindow
        fields = ["id", "device", "device_name", "starts_at", "ends_at", "reason", "created_at"]
        read_only_fields = ["created_at"]


class OutageEventSerializer(ModelSerializer):
    class Meta:
        model = OutageEvent
        fields = ["at", "kind", "message"]
        read_only_fields = fields


class OutageSerializer(ModelSerializer):
    device_name = serializers.CharField(source="device.name", read_only=True)
    services = serializers.SerializerMethodField()
    timeline = OutageEventSerializer(many=True, read_only=True)

    class Meta:
        model = Outage
        fields = ["id", "device", "device_name", "started_at", "ended_at", "services_affected",
                  "subscribers_affected", "services", "ticket_reference", "credited_at",
                  "timeline"]  # fmt: skip
        read_only_fields = fields

    def get_services(self, outage) -> list[int]:
        return [row.service_id for row in outage.affected.all()]


class MonitorViewSet(ModelViewSet):
    """The devices probed and how: ICMP (fping) or a TCP port, at the device's management IP.
    Adding one (or switching one on) counts against the plan's `isp.max_devices`."""

    queryset = Monitor.objects.select_related("device__management_ip")
    serializer_class = MonitorSerializer
    filterset_class = MonitorFilter
    search_fields = ["device__name"]
    ordering_fields = ["device__name", "state", "last_latency_ms", "last_probed_at"]
    resource_type = "monitor"
    required_feature = MONITORING
    create_service = staticmethod(monitoring.monitor_create)
    update_service = staticmethod(monitoring.monitor_update)
    destroy_service = staticmethod(monitoring.monitor_delete)
    object_actions = {**BaseViewSet.object_actions, "probe": "change"}

    def get_serializer_class(self):
        if self.action in ("update", "partial_update"):
            return MonitorUpdateSerializer
        return super().get_serializer_class()

    @extend_schema(request=None, responses=MonitorSerializer)
    @action(detail=True, methods=["post"])
    def probe(self, request, pk=None):
        """Probe this device now (outside the schedule) and answer its state."""
        return self.respond(monitoring.probe_now(monitor=self.get_object(), actor=self.actor))


class ProbeResultViewSet(ReadOnlyModelViewSet):
    """Every probe's result (latency, loss), newest first, for the retention period."""

    queryset = ProbeResult.objects.all()
    serializer_class = ProbeResultSerializer
    filterset_class = ProbeResultFilter
    ordering_fields = ["at", "latency_ms"]
    resource_type = "probe_result"
    required_feature = MONITORING


class MonitorEventViewSet(ReadOnlyModelViewSet):
    """State changes (down, up) and suppressed alerts, newest first."""

    queryset = MonitorEvent.objects.all()
    serializer_class = MonitorEventSerializer
    filterset_class = MonitorEventFilter
    ordering_fields = ["at"]
    resource_type = "monitor_event"
    required_feature = MONITORING


class MaintenanceWindowViewSet(ModelViewSet):
    """Planned work: the device and what hangs off it raise no alert while it lasts."""

    queryset = MaintenanceWindow.objects.select_related("device")
    serializer_class = MaintenanceWindowSerializer
    filterset_class = MaintenanceWindowFilter
    search_fields = ["device__name", "reason"]
    ordering_fields = ["starts_at", "ends_at"]
    resource_type = "maintenance_window"
    required_feature = MONITORING
    create_service = staticmethod(monitoring.maintenance_create)
    update_service = staticmethod(monitoring.maintenance_update)
    destroy_service = staticmethod(monitoring.maintenance_delete)
    service_object = "window"


class OutageViewSet(ReadOnlyModelViewSet):
    """Outages, newest first: `open=true` for those still going on."""

    queryset = Outage.objects.select_related("device").prefetch_related("affected", "timeline")
    serializer_class = OutageSerializer
    filterset_class = OutageFilter
    search_fields = ["device__name"]
    ordering_fields = ["started_at", "ended_at", "subscribers_affected"]
    resource_type = "outage"
    required_feature = MONITORING
