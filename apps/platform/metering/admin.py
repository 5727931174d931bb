"""The platform console's resource use: the daily series per tenant (read-only: the metering
task writes it) and the overview, top tenants by each measure and the platform's daily totals
as charts."""

import datetime

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.template.defaultfilters import filesizeformat
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone

from apps.core.kit.admin import ReadOnlyAdmin
from apps.platform.metering import charts, selectors
from apps.platform.metering.models import UsageDay


@admin.register(UsageDay)
class UsageDayAdmin(ReadOnlyAdmin):
    list_display = ["day", "tenant", "database", "storage", "api_requests_total",
                    "task_seconds_total", "active_users"]  # fmt: skip
    list_filter = ["day"]
    search_fields = ["tenant__slug", "tenant__name"]
    list_select_related = ["tenant"]
    date_hierarchy = "day"
    list_per_page = 50
    fields = ["tenant", "day", "db_bytes", "storage_bytes", "storage_files", "api_requests",
              "api_requests_total", "task_seconds", "task_seconds_total", "active_users",
              "measured_at"]  # fmt: skip
    readonly_fields = fields

    @admin.display(description="database", ordering="db_bytes")
    def database(self, row):
        return filesizeformat(row.db_bytes)

    @admin.display(description="file storage", ordering="storage_bytes")
    def storage(self, row):
        return filesizeformat(row.storage_bytes)

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("overview/", wrap(self.overview_view), name="metering_usageday_overview"),
            *super().get_urls(),
        ]

    def overview_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        latest = UsageDay.objects.order_by("-day").values_list("day", flat=True).first()
        day = latest or timezone.localdate()
        top = selectors.top_tenants(day=day)
        rankings = []
        for measure, label, unit in selectors.MEASURES:
            rows = top[measure]
            rankings.append({
                "measure": measure, "label": label,
                "max": max((row.value for row in rows), default=0),
                "rows": [{"tenant": row.tenant, "value": row.value,
                          "text": charts.display(row.value, unit)} for row in rows],
            })  # fmt: skip
        context = {
            **self.admin_site.each_context(request),
            "title": "Resource use",
            "opts": self.opts,
            "day": day,
            "measured": latest is not None,
            "rankings": rankings,
            "charts": charts.series_charts(selectors.platform_totals(days=30)),
            "since": day - datetime.timedelta(days=29),
        }
        return TemplateResponse(request, "admin/metering/overview.html", context)
