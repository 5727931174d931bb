"""What every ISP viewset shares: writes through the app's services, a plan feature gate, and
the tenant's currency for amounts that do not carry their own.

The core base viewsets audit generic writes themselves; an ISP resource whose writes have
business rules names the services instead (they validate, audit and record the customer's
timeline), so that the API, the admin, the pages and the tasks obey the same rules.
"""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.core.api import viewsets
from apps.isp.models import BillingSettings
from apps.platform.licensing.guards import ensure_feature


def tenant_currency() -> str:
    """The tenant's billing currency (read, never created: provisioning creates the row)."""
    currency = BillingSettings.objects.filter(id=1).values_list("currency", flat=True).first()
    return currency or BillingSettings._meta.get_field("currency").default


@extend_schema_field(OpenApiTypes.STR)
class CurrencyField(serializers.Field):
    """The tenant's currency, read once per response (shared by every row of a list)."""

    def __init__(self, **kwargs):
        kwargs.update(source="*", read_only=True)
        super().__init__(**kwargs)

    def to_representation(self, value) -> str:
        context = self.context
        if "_currency" not in context:
            context["_currency"] = tenant_currency()
        return context["_currency"]


class FeatureGated:
    """`required_feature = "isp.dunning"`: 403 FEATURE_NOT_IN_PLAN once the caller is known
    (authentication and the area permission answer first)."""

    required_feature: str | None = None

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if self.required_feature:
            ensure_feature(self.required_feature)


class ServiceWrites:
    """Creates, updates and deletes through services declared on the viewset:

        create_service = staticmethod(plan_create)    # (**validated_data) -> instance
        update_service = staticmethod(plan_update)    # (plan=instance, **validated_data)
        destroy_service = None                        # (plan=instance); None: audited delete
        service_object = "plan"                       # the keyword naming the instance

    The services record the audit trail (the base viewset does when none is declared).
    """

    create_service = None
    update_service = None
    destroy_service = None
    service_object: str | None = None

    def _object_keyword(self) -> str:
        return self.service_object or self.get_queryset().model._meta.model_name

    def perform_create(self, serializer):
        if self.create_service is None:
            return super().perform_create(serializer)
        serializer.instance = type(self).create_service(**serializer.validated_data)
        return None

    def perform_update(self, serializer):
        if self.update_service is None:
            return super().perform_update(serializer)
        serializer.instance = type(self).update_service(
            **{self._object_keyword(): serializer.instance}, **serializer.validated_data
        )
        return None

    def perform_destroy(self, instance):
        if self.destroy_service is None:
            return super().perform_destroy(instance)
        type(self).destroy_service(**{self._object_keyword(): instance})
        return None


class ModelViewSet(FeatureGated, ServiceWrites, viewsets.ModelViewSet):
    pass


class ReadOnlyModelViewSet(FeatureGated, viewsets.ReadOnlyModelViewSet):
    pass


class BaseViewSet(FeatureGated, viewsets.BaseViewSet):
    pass
