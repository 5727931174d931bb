"""Support and field work in the tenant admin: the set-up (teams, through the support services;
SLA policies, business hours and holidays, a policy's change retiming the open tickets as on
the API) and, read-only, the tickets and work orders with what hangs off them (the staff pages,
the technician app and the API work them, through the services that keep their clocks and
status flows)."""

from django.contrib import admin

from apps.core.kit.admin import ReadOnlyAdmin, ReadOnlyInline, ServiceAdmin
from apps.isp.models import (
    BusinessHours,
    ChecklistItem,
    Holiday,
    SavedTicketView,
    SlaPolicy,
    SupportTeam,
    Ticket,
    TicketAttachment,
    TicketReply,
    WorkOrder,
    WorkOrderEvent,
    WorkOrderFile,
    WorkOrderPart,
)
from apps.isp.services import sla, support


@admin.register(SupportTeam)
class SupportTeamAdmin(ServiceAdmin):
    list_display = ["name", "email", "created_at"]
    search_fields = ["name"]
    filter_horizontal = ["members"]
    create_service = staticmethod(support.team_create)
    update_service = staticmethod(support.team_update)
    service_object = "team"


@admin.register(SlaPolicy)
class SlaPolicyAdmin(ServiceAdmin):
    list_display = ["name", "priority", "first_response_minutes", "resolution_minutes",
                    "business_hours_only", "warn_percent", "escalation_team"]  # fmt: skip
    list_select_related = ["escalation_team"]
    update_service = staticmethod(sla.policy_update)  # the open tickets' due times move with it
    service_object = "policy"


@admin.register(BusinessHours)
class BusinessHoursAdmin(ServiceAdmin):
    list_display = ["__str__", "weekday", "opens", "closes"]
    ordering = ["weekday", "opens"]


@admin.register(Holiday)
class HolidayAdmin(ServiceAdmin):
    list_display = ["date", "name"]
    ordering = ["-date"]


@admin.register(SavedTicketView)
class SavedTicketViewAdmin(ReadOnlyAdmin):
    list_display = ["name", "owner", "shared", "query", "created_at"]
    list_select_related = ["owner"]


class TicketReplyInline(ReadOnlyInline):
    model = TicketReply
    fields = ["created_at", "author_name", "from_customer", "internal", "body"]


class TicketAttachmentInline(ReadOnlyInline):
    model = TicketAttachment
    fields = ["created_at", "name", "content_type", "size", "internal"]


@admin.register(Ticket)
class TicketAdmin(ReadOnlyAdmin):
    list_display = ["number", "subject", "status", "priority", "category", "customer", "team",
                    "assignee", "resolution_due_at", "created_at"]  # fmt: skip
    list_filter = ["status", "priority", "category", "source"]
    search_fields = ["subject"]
    list_select_related = ["customer", "team", "assignee"]
    inlines = [TicketReplyInline, TicketAttachmentInline]
    show_full_result_count = False


class ChecklistInline(ReadOnlyInline):
    model = ChecklistItem
    fields = ["position", "label", "done", "done_at"]


class PartInline(ReadOnlyInline):
    model = WorkOrderPart
    fields = ["device", "description", "quantity", "created_at"]


class FileInline(ReadOnlyInline):
    model = WorkOrderFile
    fields = ["kind", "content_type", "size", "created_at"]


class EventInline(ReadOnlyInline):
    model = WorkOrderEvent
    fields = ["from_status", "to_status"]


@admin.register(WorkOrder)
class WorkOrderAdmin(ReadOnlyAdmin):
    list_display = ["pk", "kind", "status", "customer", "technician", "slot_start", "slot_end"]
    list_filter = ["kind", "status"]
    search_fields = ["customer__name"]
    list_select_related = ["customer", "technician"]
    inlines = [ChecklistInline, PartInline, FileInline, EventInline]
