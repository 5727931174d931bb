"""Customers' services and the inputs of their lifecycle actions."""

from rest_framework import serializers

from apps.core.api.serializers import CurrencyField, DateField, ModelSerializer
from apps.isp.models import Service, ServicePlan, ServicePlanChange
from apps.isp.services.subscriptions import SERVICE_FIELDS

__all__ = [
    "ChangePlanSerializer",
    "ServiceDateSerializer",
    "ServicePlanChangeSerializer",
    "ServiceSerializer",
]


class ServicePlanChangeSerializer(ModelSerializer):
    class Meta:
        model = ServicePlanChange
        fields = ["id", "from_plan", "to_plan", "effective_on", "credited", "charged", "actor",
                  "created_at"]  # fmt: skip
        read_only_fields = fields


class ServiceSerializer(ModelSerializer):
    """`customer` and `plan` are given when the service is ordered; afterwards the plan moves
    by change-plan and the customer never (the service's update refuses both)."""

    currency = CurrencyField(help_text="Currency of the prices.")
    plan_name = serializers.CharField(source="plan.name", read_only=True)
    customer_name = serializers.CharField(source="customer.name", read_only=True)
    plan_changes = ServicePlanChangeSerializer(many=True, read_only=True)

    class Meta:
        model = Service
        fields = ["id", "customer", "customer_name", "plan", "plan_name", "status",
                  "activated_on", "terminated_on", "billed_until", "suspended_at",
                  "suspension_reason",
                  *SERVICE_FIELDS,  # editable after the order; the rest moves by actions
                  "currency", "plan_changes", "created_at", "updated_at"]  # fmt: skip
        read_only_fields = ["status", "activated_on", "terminated_on", "billed_until",
                            "suspended_at", "suspension_reason", "created_at",
                            "updated_at"]  # fmt: skip


class ServiceDateSerializer(serializers.Serializer):
    on = DateField(required=False, allow_null=True, default=None, help_text="Default: today.")


class ChangePlanSerializer(ServiceDateSerializer):
    plan = serializers.PrimaryKeyRelatedField(queryset=ServicePlan.objects.all())
