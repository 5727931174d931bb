"""Monitoring in the tenant admin: the monitoring settings (flap suppression, retention, staff
notified, outage credits), what is probed and the maintenance windows (through the monitoring
services: the plan's `isp.max_devices`, a management IP to probe); the probe history, state
changes, rounds and outages, read-only (the probes and the outage service write them)."""

from django.contrib import admin

from apps.core.kit.admin import ReadOnlyAdmin, ReadOnlyInline, ServiceAdmin
from apps.isp.models import (
    MaintenanceWindow,
    Monitor,
    MonitorEvent,
    MonitoringSettings,
    Outage,
    OutageCredit,
    OutageEvent,
    OutageService,
    ProbeResult,
    ProbeRound,
)
from apps.isp.services import monitoring


@admin.register(MonitoringSettings)
class MonitoringSettingsAdmin(ServiceAdmin):
    list_display = ["__str__", "failures_before_down", "retention_days", "credit_outages"]

    def has_add_permission(self, request):
        return False  # one row, created with the tenant

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Monitor)
class MonitorAdmin(ServiceAdmin):
    list_display = ["device", "enabled", "method", "tcp_port", "snmp_enabled", "state", "alert",
                    "last_probed_at", "last_latency_ms", "last_snmp_uptime"]  # fmt: skip
    list_filter = ["enabled", "method", "snmp_enabled", "state", "alert"]
    search_fields = ["device__name"]
    list_select_related = ["device"]
    raw_id_fields = ["device"]
    readonly_fields = ["state", "alert", "created_at"]
    create_service = staticmethod(monitoring.monitor_create)
    update_service = staticmethod(monitoring.monitor_update)
    destroy_service = staticmethod(monitoring.monitor_delete)
    service_object = "monitor"


@admin.register(MaintenanceWindow)
class MaintenanceWindowAdmin(ServiceAdmin):
    list_display = ["device", "starts_at", "ends_at", "reason"]
    search_fields = ["device__name", "reason"]
    list_select_related = ["device"]
    raw_id_fields = ["device"]
    create_service = staticmethod(monitoring.maintenance_create)
    update_service = staticmethod(monitoring.maintenance_update)
    destroy_service = staticmethod(monitoring.maintenance_delete)
    service_object = "window"


@admin.register(ProbeRound)
class ProbeRoundAdmin(ReadOnlyAdmin):
    list_display = ["pk", "started_at", "targets", "batches", "batches_done", "finished_at"]


@admin.register(ProbeResult)
class ProbeResultAdmin(ReadOnlyAdmin):
    list_display = ["monitor", "at", "ok", "latency_ms", "loss_percent", "snmp_ok", "snmp_uptime",
                    "snmp_in_octets", "snmp_out_octets"]  # fmt: skip
    list_filter = ["ok", "snmp_ok"]
    list_select_related = ["monitor__device"]
    show_full_result_count = False  # millions of rows: no COUNT(*) per page


@admin.register(MonitorEvent)
class MonitorEventAdmin(ReadOnlyAdmin):
    list_display = ["monitor", "at", "kind", "state", "message"]
    list_filter = ["kind", "state"]
    list_select_related = ["monitor__device"]


class OutageServiceInline(ReadOnlyInline):
    model = OutageService
    fields = ["service"]


@admin.register(Outage)
class OutageAdmin(ReadOnlyAdmin):
    list_display = ["device", "started_at", "ended_at", "services_affected",
                    "subscribers_affected", "credited_at"]  # fmt: skip
    list_select_related = ["device"]
    inlines = [OutageServiceInline]


@admin.register(OutageEvent)
class OutageEventAdmin(ReadOnlyAdmin):
    list_display = ["outage", "at", "kind", "message"]
    list_select_related = ["outage__device"]


@admin.register(OutageCredit)
class OutageCreditAdmin(ReadOnlyAdmin):
    list_display = ["outage", "service", "credit_note", "created_at"]
    list_select_related = ["outage__device", "credit_note"]


@admin.register(OutageService)
class OutageServiceAdmin(ReadOnlyAdmin):
    list_display = ["outage", "service"]
