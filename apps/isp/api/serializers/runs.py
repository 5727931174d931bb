"""Billing runs and the dunning policy."""

from rest_framework import serializers

from apps.core.api.serializers import CurrencyField, DateField, ModelSerializer
from apps.isp.models import BillingRun, DunningStep

__all__ = ["BillingRunRequestSerializer", "BillingRunSerializer", "DunningStepSerializer"]


class BillingRunSerializer(ModelSerializer):
    currency = CurrencyField(help_text="Currency of the total invoiced.")

    class Meta:
        model = BillingRun
        fields = ["id", "as_of", "status", "triggered_by", "task_id", "started_at",
                  "finished_at", "invoices_created", "total_invoiced", "currency", "errors",
                  "created_at"]  # fmt: skip
        read_only_fields = fields


class BillingRunRequestSerializer(serializers.Serializer):
    as_of = DateField(
        required=False,
        allow_null=True,
        default=None,
        help_text="Invoice periods starting up to this day (default: today).",
    )


class DunningStepSerializer(ModelSerializer):
    class Meta:
        model = DunningStep
        fields = ["id", "name", "days_overdue", "action", "email_subject", "email_body",
                  "is_active"]  # fmt: skip
