"""What a customer sees of their own account in the portal's API."""

from rest_framework import serializers

from apps.core.api.serializers import CurrencyField, ModelSerializer
from apps.isp.models import Customer, Payment, Service
from apps.isp.services.customers import PORTAL_EDITABLE

__all__ = ["PortalCustomerSerializer", "PortalPaymentSerializer", "PortalServiceSerializer"]


class PortalCustomerSerializer(ModelSerializer):
    currency = CurrencyField()

    class Meta:
        model = Customer
        fields = ["id", "account_number", "kind", "name", *PORTAL_EDITABLE, "service_street",
                  "service_city", "service_postcode", "service_country", "status", "balance",
                  "currency"]  # fmt: skip
        read_only_fields = ["account_number", "kind", "name", "service_street", "service_city",
                            "service_postcode", "service_country", "status",
                            "balance"]  # fmt: skip


class PortalServiceSerializer(ModelSerializer):
    plan_name = serializers.CharField(source="plan.name", read_only=True)
    download_mbps = serializers.IntegerField(source="plan.download_mbps", read_only=True)
    upload_mbps = serializers.IntegerField(source="plan.upload_mbps", read_only=True)

    class Meta:
        model = Service
        fields = ["id", "plan_name", "download_mbps", "upload_mbps", "status",
                  "activated_on", "terminated_on", "install_street", "install_city",
                  "install_postcode"]  # fmt: skip
        read_only_fields = fields


class PortalPaymentSerializer(ModelSerializer):
    class Meta:
        model = Payment
        fields = ["id", "amount", "currency", "method", "status", "received_on", "reference",
                  "failure_reason", "created_at"]  # fmt: skip
        read_only_fields = fields
