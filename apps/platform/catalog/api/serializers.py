from apps.core.api.serializers import ModelSerializer
from apps.platform.catalog.models import App, Plan


class PlanSerializer(ModelSerializer):
    class Meta:
        model = Plan
        fields = [
            "id", "app", "key", "name", "price", "currency", "billing_period", "trial_days",
            "features", "limits", "is_active",
        ]  # fmt: skip
        read_only_fields = fields


class NestedPlanSerializer(ModelSerializer):
    class Meta:
        model = Plan
        fields = ["key", "name", "price", "currency", "billing_period", "trial_days", "features",
                  "limits"]  # fmt: skip
        read_only_fields = fields


class AppSerializer(ModelSerializer):
    plans = NestedPlanSerializer(many=True, read_only=True, source="plans_on_sale")

    class Meta:
        model = App
        fields = ["id", "key", "name", "tagline", "description", "icon", "is_active", "plans"]
        read_only_fields = fields
