"""RADIUS in the tenant admin: the NAS registry (through the NAS services: the address routed
to this organisation, the secret entered like a password and never shown), the attribute map,
the services' logins; the accounting sessions, usage by day, fair-use top-ups and the changes
of authorization, read-only (accounting and billing write them)."""

from django import forms
from django.contrib import admin

from apps.core.kit.admin import ReadOnlyAdmin, ServiceAdmin
from apps.isp.models import (
    AuthorizationChange,
    DataTopUp,
    Nas,
    NasAttribute,
    RadiusLogin,
    RadiusSession,
    UsageDay,
)
from apps.isp.services import nas as radius


class NasForm(forms.ModelForm):
    secret = forms.CharField(
        label="shared secret",
        widget=forms.PasswordInput(render_value=False),
        max_length=128,
        required=False,
        help_text="16 to 128 printable characters. Leave empty to keep the current secret.",
    )

    class Meta:
        model = Nas
        fields = ["name", "address", "secret", "type", "coa_port", "site", "description"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial["secret"] = ""  # never sent to the browser; empty: unchanged
        self.fields["secret"].required = self.instance.pk is None

    def clean_secret(self):
        secret = self.cleaned_data.get("secret", "")
        if not secret and self.instance.pk is not None:
            return self.instance.secret
        return secret


@admin.register(Nas)
class NasAdmin(ServiceAdmin):
    form = NasForm
    list_display = ["name", "address", "type", "coa_port", "site"]
    list_filter = ["type", "site"]
    search_fields = ["name", "description"]
    list_select_related = ["site"]
    readonly_fields = ["created_at", "updated_at"]
    create_service = staticmethod(radius.nas_create)
    update_service = staticmethod(radius.nas_update)
    destroy_service = staticmethod(radius.nas_delete)
    service_object = "nas"


@admin.register(NasAttribute)
class NasAttributeAdmin(ServiceAdmin):
    list_display = ["nas_type", "attribute", "value"]
    list_filter = ["nas_type"]
    search_fields = ["attribute", "value"]
    create_service = staticmethod(radius.nas_attribute_set)
    update_service = staticmethod(radius.nas_attribute_update)
    destroy_service = staticmethod(radius.nas_attribute_delete)
    service_object = "nasattribute"


@admin.register(RadiusLogin)
class RadiusLoginAdmin(ServiceAdmin):
    list_display = ["__str__", "kind", "service", "throttled_month"]
    list_filter = ["kind"]
    search_fields = ["username", "service__customer__name"]
    list_select_related = ["service__customer", "service__plan"]
    raw_id_fields = ["service"]
    readonly_fields = ["throttled_month", "created_at", "updated_at"]
    create_service = staticmethod(radius.radius_login_create)
    update_service = staticmethod(radius.radius_login_update)
    destroy_service = staticmethod(radius.radius_login_delete)
    service_object = "radiuslogin"


@admin.register(RadiusSession)
class RadiusSessionAdmin(ReadOnlyAdmin):
    list_display = ["username", "nas", "service", "status", "framed_ip", "started_at",
                    "stopped_at", "input_octets", "output_octets"]  # fmt: skip
    list_filter = ["status", "nas"]
    search_fields = ["username", "calling_station", "session_id", "unique_id"]
    list_select_related = ["nas", "service__customer", "service__plan"]
    date_hierarchy = "started_at"


@admin.register(AuthorizationChange)
class AuthorizationChangeAdmin(ReadOnlyAdmin):
    list_display = ["service", "action", "reason", "status", "attempts", "created_at",
                    "confirmed_at"]  # fmt: skip
    list_filter = ["action", "reason", "status"]
    list_select_related = ["service__customer", "service__plan"]


@admin.register(UsageDay)
class UsageDayAdmin(ReadOnlyAdmin):
    list_display = ["service", "day", "input_octets", "output_octets"]
    list_select_related = ["service__customer", "service__plan"]
    search_fields = ["service__customer__name", "service__customer__account_number"]
    date_hierarchy = "day"


@admin.register(DataTopUp)
class DataTopUpAdmin(ReadOnlyAdmin):
    list_display = ["service", "gigabytes", "month", "actor", "created_at"]
    list_select_related = ["service__customer", "service__plan"]
    search_fields = ["service__customer__name", "service__customer__account_number"]
