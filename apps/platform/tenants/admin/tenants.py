"""The tenants' and hosts' console pages."""

from pathlib import Path

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode
from django.utils.timezone import localtime

from apps.core.admin_actions import run_for_each
from apps.core.admin_audit import AuditedAdmin
from apps.core.kit.admin import lifecycle_buttons, redirect_to_next
from apps.core.kit.refusals import REFUSALS, admin_refusal
from apps.platform.console import STATUS_TONES, SeparateAddFormAdmin, status_badge
from apps.platform.licensing.models import Subscription
from apps.platform.tenants import monitoring, offboarding, selectors, services
from apps.platform.tenants.admin.forms import TenantAddForm
from apps.platform.tenants.admin.inlines import DomainInline, SubscriptionInline
from apps.platform.tenants.models import Domain, Tenant

#: Lifecycle buttons of the change page: (action name, label, style, statuses it is offered in).
#: Presentation only: the services decide, and refuse with a message when they must.
LIFECYCLE_BUTTONS = [
    ("retry_provisioning", "Retry provisioning", "", {"failed", "pending", "provisioning"}),
    ("suspend_tenants", "Suspend", "warning", {"active"}),
    ("resume_tenants", "Resume", "", {"suspended"}),
    ("offboard_tenants", "Offboard…", "danger", set(offboarding.OFFBOARDABLE)),
]


@admin.register(Tenant)
class TenantAdmin(SeparateAddFormAdmin, AuditedAdmin):
    list_display = ["name", "slug", "status_badge", "apps_subscribed", "created", "source"]
    list_filter = ["status", "source"]
    search_fields = ["name", "slug", "schema_name", "admin_email", "domains__domain"]
    list_per_page = 50
    actions = ["retry_provisioning", "suspend_tenants", "resume_tenants", "offboard_tenants"]
    inlines = [DomainInline, SubscriptionInline]
    add_form = TenantAddForm
    add_fieldsets = [
        ("Organisation", {"fields": ["name", "slug"]}),
        ("Super admin", {"fields": ["admin_email", "admin_username", "admin_password"]}),
        ("Apps", {"fields": ["apps"]}),
    ]
    fieldsets = [
        (
            "Organisation",
            {
                "fields": [
                    "name",
                    "address",
                    "status_badge",
                    "status_reason",
                    "source",
                    "created_at",
                ]
            },
        ),
        ("Super admin", {"fields": ["admin_email", "admin_username", "apps_requested"]}),
        (
            "Provisioning",
            {
                "fields": [
                    "schema_name",
                    "provisioning_step",
                    "provisioning_attempts",
                    "provisioned_at",
                    "export_download",
                    "updated_at",
                ]
            },
        ),
    ]
    # Only the display name is edited here; the lifecycle moves through the actions.
    readonly_fields = [
        "address",
        "status_badge",
        "status_reason",
        "source",
        "created_at",
        "updated_at",
        "admin_email",
        "admin_username",
        "apps_requested",
        "schema_name",
        "provisioning_step",
        "provisioning_attempts",
        "provisioned_at",
        "export_download",
    ]

    def has_delete_permission(self, request, obj=None):
        # Dropping a schema is offboarding, a deliberate workflow (an action), not a delete.
        return False

    def get_queryset(self, request):
        current = (
            Subscription.objects.exclude(status=Subscription.Status.CANCELLED)
            .select_related("app", "plan")
            .order_by("app__position")
        )
        return selectors.tenant_list_organisations().prefetch_related(
            Prefetch("subscriptions", queryset=current, to_attr="current_subscriptions")
        )

    # -- the add form: a request to the provisioning service -----------------------------------

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        if isinstance(initial.get("apps"), str):
            initial["apps"] = [key for key in initial["apps"].split(",") if key]
        return initial

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        # Added: the form's save() already called tenant_request.
        self.message_user(
            request,
            f"Provisioning of {services.tenant_host(obj.slug)} is queued; the tenant turns "
            "active when the worker has finished.",
            messages.INFO,
        )

    def add_view(self, request, form_url="", extra_context=None):
        try:
            return super().add_view(request, form_url, extra_context)
        except REFUSALS as error:
            # The form checks what it can up front; this is a refusal it could not foresee
            # (e.g. the slug taken meanwhile). Everything was rolled back: refill and retry.
            admin_refusal(self, request, error)
            refill = {k: request.POST.get(k, "") for k in self.add_form.Meta.fields}
            refill["apps"] = ",".join(request.POST.getlist("apps"))
            return HttpResponseRedirect(f"{request.path}?{urlencode(refill)}")

    def change_view(self, request, object_id, form_url="", extra_context=None):
        tenant = self.get_object(request, object_id)
        if tenant is not None and self.has_change_permission(request, tenant):
            extra_context = {
                **(extra_context or {}),
                "lifecycle_buttons": lifecycle_buttons(LIFECYCLE_BUTTONS, tenant.status),
                "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
                "subscription_add_url": reverse("admin:licensing_subscription_add")
                + "?"
                + urlencode({"tenant": tenant.pk}),
            }
        return super().change_view(request, object_id, form_url, extra_context)

    # -- columns and read-only fields ------------------------------------------------------------

    @admin.display(description="status", ordering="status")
    def status_badge(self, tenant):
        return status_badge(tenant.status, tenant.get_status_display())

    @admin.display(description="apps subscribed")
    def apps_subscribed(self, tenant):
        subscriptions = getattr(tenant, "current_subscriptions", None) or []
        if not subscriptions:
            return "—"
        return format_html_join(
            " ",
            '<span class="dm-pill dm-pill--{}" title="{} · {} ({})">{} {}</span>',
            (
                (
                    STATUS_TONES.get(sub.status, "grey"),
                    sub.app.name,
                    sub.plan.name,
                    sub.get_status_display().lower(),
                    sub.app.icon,
                    sub.app.name,
                )
                for sub in subscriptions
            ),
        )

    @admin.display(description="created", ordering="created_at")
    def created(self, tenant):
        return format_html(
            '<span title="{}">{}</span>',
            date_format(localtime(tenant.created_at), "DATETIME_FORMAT"),
            date_format(localtime(tenant.created_at), "j M Y"),
        )

    @admin.display(description="address")
    def address(self, tenant):
        hosts = [domain.domain for domain in tenant.domains.all()]
        return format_html("<code>{}</code> · {}", tenant.slug, ", ".join(hosts) or "no host yet")

    @admin.display(description="apps requested at signup")
    def apps_requested(self, tenant):
        return ", ".join(tenant.requested_apps) or "—"

    @admin.display(description="data export")
    def export_download(self, tenant):
        if not tenant.export_archive:
            return "—"
        url = reverse("admin:tenants_tenant_export", args=[tenant.pk])
        return format_html(
            '<a class="dm-download" href="{}">⬇ Download {}</a>',
            url,
            Path(tenant.export_archive).name,
        )

    # -- actions ----------------------------------------------------------------------------------

    @admin.action(description="Retry provisioning", permissions=["change"])
    def retry_provisioning(self, request, queryset):
        run_for_each(
            self,
            request,
            queryset,
            lambda tenant: services.tenant_retry(tenant=tenant),
            done="Provisioning of {} is queued again.",
            doing="retry the provisioning of",
        )
        return redirect_to_next(request)

    @admin.action(description="Suspend (the workspace answers 'suspended')", permissions=["change"])
    def suspend_tenants(self, request, queryset):
        reason = f"Suspended from the platform console by {request.user.get_username()}."
        run_for_each(
            self,
            request,
            queryset,
            lambda tenant: services.tenant_suspend(tenant=tenant, reason=reason),
            done="{} suspended.",
            doing="suspend",
        )
        return redirect_to_next(request)

    @admin.action(description="Resume suspended tenants", permissions=["change"])
    def resume_tenants(self, request, queryset):
        run_for_each(
            self,
            request,
            queryset,
            lambda tenant: services.tenant_resume(tenant=tenant),
            done="{} resumed.",
            doing="resume",
        )
        return redirect_to_next(request)

    @admin.action(
        description="Offboard (export the data, then drop the schema)…", permissions=["change"]
    )
    def offboard_tenants(self, request, queryset):
        if request.POST.get("confirm") != "yes":
            context = {
                **self.admin_site.each_context(request),
                "title": "Offboard tenants?",
                "opts": self.opts,
                "tenants": queryset,
                "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
                "next": request.POST.get("next", ""),
            }
            return TemplateResponse(
                request, "admin/tenants/tenant/offboard_confirmation.html", context
            )
        run_for_each(
            self,
            request,
            queryset,
            offboarding.tenant_offboard_request,
            done="Offboarding of {} is queued: its data is exported, then its schema and hosts "
            "are removed.",
            doing="offboard",
        )
        return redirect_to_next(request)

    # -- extra pages: export download, monitoring -------------------------------------------------

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("monitoring/", wrap(self.monitoring_view), name="tenants_tenant_monitoring"),
            path("<int:pk>/export/", wrap(self.export_view), name="tenants_tenant_export"),
            *super().get_urls(),
        ]

    def export_view(self, request, pk: int):
        """The archive offboarding wrote, for platform staff only."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        tenant = self.get_queryset(request).filter(pk=pk).first()
        if tenant is None or not tenant.export_archive:
            raise Http404("No export for this tenant.")
        root = Path(settings.MEDIA_ROOT).resolve()
        archive = (root / tenant.export_archive).resolve()
        if not archive.is_relative_to(root) or not archive.is_file():
            raise Http404("The export archive is missing.")
        return FileResponse(archive.open("rb"), as_attachment=True, filename=archive.name)

    def monitoring_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "title": "Monitoring",
            "opts": self.opts,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            **monitoring.monitoring_overview(),
        }
        return TemplateResponse(request, "admin/monitoring.html", context)


@admin.register(Domain)
class DomainAdmin(AuditedAdmin):
    list_display = ["domain", "tenant", "is_primary"]
    search_fields = ["domain", "tenant__name"]
    list_select_related = ["tenant"]
