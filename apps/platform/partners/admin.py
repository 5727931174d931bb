"""The platform console's partner program: partners (created through the partner service, with
their commission rules and portal users), the tenants they brought, the commission ledger and
payout batches (read-only: entries come from paid invoices and refunds, batches from the
"pay out" action, their CSV as in the partner's portal), and the overview page, platform
monitoring by partner: tenants brought, their MRR, commission earned and still unpaid."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path

from apps.core.admin_audit import AuditedAdmin
from apps.core.exceptions import ConflictError
from apps.core.kit.admin import ReadOnlyAdmin, ReadOnlyInline
from apps.platform.partners import selectors, services
from apps.platform.partners.models import (
    Attribution,
    CommissionRule,
    LedgerEntry,
    Partner,
    PartnerUser,
    Payout,
)


class CommissionRuleInline(admin.TabularInline):
    model = CommissionRule
    fields = ["app_key", "percent", "duration_months", "tiers"]
    extra = 0


class PartnerUserInline(admin.TabularInline):
    model = PartnerUser
    raw_id_fields = ["user"]
    extra = 0


class AttributionInline(ReadOnlyInline):
    model = Attribution
    fields = ["tenant", "since"]


@admin.register(Partner)
class PartnerAdmin(AuditedAdmin):
    list_display = ["name", "referral_code", "email", "is_active", "created_at"]
    list_filter = ["is_active"]
    search_fields = ["name", "referral_code", "email"]
    inlines = [CommissionRuleInline, PartnerUserInline, AttributionInline]
    actions = ["pay_out"]

    def save_model(self, request, obj, form, change):
        if change:
            return super().save_model(request, obj, form, change)
        created = services.partner_create(
            name=obj.name, referral_code=obj.referral_code, email=obj.email,
            actor=request.user.username,
        )  # fmt: skip
        obj.pk, obj._state.adding = created.pk, False
        return None

    @admin.action(description="Pay out the available commissions", permissions=["change"])
    def pay_out(self, request, queryset):
        for partner in queryset:
            try:
                payout = services.payout_create(partner=partner, actor=request.user.username)
            except ConflictError as refusal:
                self.message_user(request, str(refusal), messages.WARNING)
            else:
                self.message_user(request, f"{partner.name}: payout {payout.pk} of {payout.total}")

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("overview/", wrap(self.overview_view), name="partners_partner_overview"),
            *super().get_urls(),
        ]

    def overview_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        rows = selectors.partners_overview()
        context = {
            **self.admin_site.each_context(request),
            "title": "Partners overview",
            "opts": self.opts,
            "rows": rows,
            "mrr_max": max((row["mrr"] for row in rows), default=0),
        }
        return TemplateResponse(request, "admin/partners/overview.html", context)


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "partner", "tenant", "kind", "app_key", "percent", "amount",
                    "available_on", "payout"]  # fmt: skip
    list_filter = ["kind", "partner"]
    search_fields = ["partner__name", "tenant__slug"]
    list_select_related = ["partner", "tenant", "payout"]
    list_per_page = 50


@admin.register(Payout)
class PayoutAdmin(ReadOnlyAdmin):
    list_display = ["pk", "partner", "total", "created_at"]
    list_filter = ["partner"]
    list_select_related = ["partner"]

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("<int:pk>/csv/", wrap(self.csv_view), name="partners_payout_csv"),
            *super().get_urls(),
        ]

    def csv_view(self, request, pk: int):
        if not self.has_view_permission(request):
            raise PermissionDenied
        payout = get_object_or_404(Payout.objects.select_related("partner"), pk=pk)
        response = HttpResponse(services.payout_csv(payout), content_type="text/csv")
        response["Content-Disposition"] = f'attachment; filename="payout-{payout.pk}.csv"'
        return response
