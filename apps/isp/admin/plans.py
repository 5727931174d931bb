"""What the ISP sells: tax classes and service plans."""

from django.contrib import admin
from django.db.models import Count

from apps.core.admin_actions import run_for_each
from apps.core.kit.admin import ServiceAdmin
from apps.isp.models import ServicePlan, TaxClass
from apps.isp.services import plans


@admin.register(TaxClass)
class TaxClassAdmin(ServiceAdmin):
    list_display = ["code", "name", "rate", "is_default", "plan_count"]
    search_fields = ["code", "name"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(plan_count=Count("plans"))

    @admin.display(description="plans", ordering="plan_count")
    def plan_count(self, tax_class):
        return tax_class.plan_count


@admin.register(ServicePlan)
class ServicePlanAdmin(ServiceAdmin):
    list_display = [
        "name",
        "code",
        "speeds",
        "data_cap_gb",
        "price",
        "setup_fee",
        "billing_period",
        "tax_class",
        "status",
        "service_count",
    ]
    list_filter = ["status", "billing_period", "tax_class"]
    search_fields = ["name", "code", "description"]
    list_select_related = ["tax_class"]
    readonly_fields = ["status", "created_at", "updated_at"]
    actions = ["retire_plans"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(service_count=Count("services"))

    @admin.display(description="down / up (Mbit/s)")
    def speeds(self, plan):
        return f"{plan.download_mbps} / {plan.upload_mbps}"

    @admin.display(description="services", ordering="service_count")
    def service_count(self, plan):
        return plan.service_count

    create_service = staticmethod(plans.plan_create)
    update_service = staticmethod(plans.plan_update)
    service_object = "plan"

    @admin.action(description="Retire the selected plans (stop selling them)")
    def retire_plans(self, request, queryset):
        run_for_each(
            self,
            request,
            queryset,
            lambda plan: plans.plan_retire(plan=plan, actor=request.user),
            done="{} retired.",
            doing="retire",
        )
