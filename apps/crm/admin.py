"""The tenant super admin's console for the CRM (listed only while the tenant subscribes to
CRM: licensing's admin filter). Every write goes through the CRM services, as on the API and the
pages (the admin kit: apps.core.kit.admin): owners must be able to own records, a lead is
converted only by its conversion, a delete takes the record's shares and links with it; a
refusal is said on the page and writes nothing. An opportunity's stage changes on the board or
through the API, where the move is recorded."""

from django.contrib import admin
from django.db import models

from apps.core.kit.admin import ServiceAdmin, ServiceInline
from apps.crm.models import (
    Account,
    Activity,
    Contact,
    Lead,
    Opportunity,
    Stage,
    StageChange,
)
from apps.crm.services import leads, pipeline, records


class OwnedAdmin(ServiceAdmin):
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    list_select_related = ["owner"]
    list_filter = ["owner"]
    readonly_fields = ["created_at", "updated_at"]
    autocomplete_fields = ["owner"]
    update_service = staticmethod(records.record_update)
    destroy_service = staticmethod(records.record_delete)
    service_object = "instance"


class ContactInline(ServiceInline):
    model = Contact
    fields = ["first_name", "last_name", "title", "email", "phone", "owner"]
    extra = 0
    show_change_link = True
    autocomplete_fields = ["owner"]
    create_service = staticmethod(records.contact_create)
    update_service = staticmethod(records.record_update)
    destroy_service = staticmethod(records.record_delete)
    service_object = "instance"


@admin.register(Account)
class AccountAdmin(OwnedAdmin):
    list_display = ["name", "domain", "industry", "city", "country", "owner"]
    list_filter = ["owner", "industry", "country"]
    search_fields = ["name", "domain", "email", "phone"]
    inlines = [ContactInline]
    create_service = staticmethod(records.account_create)


@admin.register(Contact)
class ContactAdmin(OwnedAdmin):
    list_display = ["__str__", "account", "title", "email", "phone", "owner"]
    list_select_related = ["owner", "account"]
    search_fields = ["first_name", "last_name", "email", "phone", "account__name"]
    autocomplete_fields = ["owner", "account"]
    create_service = staticmethod(records.contact_create)


@admin.register(Lead)
class LeadAdmin(OwnedAdmin):
    list_display = ["__str__", "email", "source", "status", "score", "owner", "created_at"]
    list_filter = ["status", "source", "owner"]
    search_fields = ["first_name", "last_name", "company", "email", "phone"]
    readonly_fields = ["created_at", "updated_at", "converted_at", "converted_account",
                       "converted_contact", "converted_opportunity"]  # fmt: skip
    create_service = staticmethod(leads.lead_create)


class StageChangeInline(admin.TabularInline):
    model = StageChange
    fields = ["changed_at", "from_name", "to_name", "amount", "changed_by"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Opportunity)
class OpportunityAdmin(OwnedAdmin):
    list_display = ["name", "account", "stage", "amount", "expected_close_date", "owner"]
    list_select_related = ["owner", "account", "stage"]
    list_filter = ["stage", "owner"]
    search_fields = ["name", "account__name"]
    autocomplete_fields = ["owner", "account", "contact"]
    date_hierarchy = "expected_close_date"
    inlines = [StageChangeInline]
    create_service = staticmethod(pipeline.opportunity_create)

    def get_readonly_fields(self, request, obj=None):
        base = [*super().get_readonly_fields(request, obj), "closed_at", "lead"]
        return [*base, "stage"] if obj is not None else base


@admin.register(Activity)
class ActivityAdmin(OwnedAdmin):
    list_display = ["subject", "kind", "owner", "due_at", "done"]
    list_filter = ["kind", "done", "owner"]
    search_fields = ["subject", "body"]
    autocomplete_fields = ["owner", "account", "contact", "lead", "opportunity"]
    create_service = staticmethod(records.activity_create)


@admin.register(Stage)
class StageAdmin(ServiceAdmin):
    list_display = ["name", "position", "probability", "kind"]
    list_editable = ["position", "probability"]
    ordering = ["position"]
    create_service = staticmethod(pipeline.stage_create)
