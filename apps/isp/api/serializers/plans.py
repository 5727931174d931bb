"""What the ISP sells: service plans and the tax classes they are taxed at."""

from rest_framework import serializers

from apps.core.api.serializers import CurrencyField, ModelSerializer
from apps.isp.models import ServicePlan, TaxClass

__all__ = ["ServicePlanSerializer", "TaxClassSerializer"]


class TaxClassSerializer(ModelSerializer):
    class Meta:
        model = TaxClass
        fields = ["id", "code", "name", "rate", "is_default"]


class ServicePlanSerializer(ModelSerializer):
    currency = CurrencyField(help_text="Currency of the price and setup fee.")
    tax_rate = serializers.DecimalField(
        source="tax_class.rate", read_only=True, max_digits=5, decimal_places=2
    )

    class Meta:
        model = ServicePlan
        fields = ["id", "code", "name", "description", "download_mbps", "upload_mbps",
                  "burst_download_mbps", "burst_upload_mbps", "data_cap_gb", "fair_use_policy",
                  "static_ip", "price", "setup_fee", "currency", "billing_period", "tax_class",
                  "tax_rate", "status", "created_at", "updated_at"]  # fmt: skip
        read_only_fields = ["status", "created_at", "updated_at"]
