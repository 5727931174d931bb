from rest_framework import serializers

from apps.core.api.serializers import ModelSerializer
from apps.core.tenancy import organisations
from apps.platform.licensing.models import Subscription, SubscriptionEvent
from apps.platform.licensing.selectors import subscription_monthly_value


class SubscriptionSerializer(ModelSerializer):
    tenant_slug = serializers.CharField(source="tenant.slug", read_only=True)
    app_key = serializers.CharField(source="app.key", read_only=True)
    plan_key = serializers.CharField(source="plan.key", read_only=True)
    monthly_value = serializers.SerializerMethodField()

    class Meta:
        model = Subscription
        fields = [
            "id", "tenant", "tenant_slug", "app_key", "plan_key", "status", "trial_ends_at",
            "current_period_start", "current_period_end", "past_due_since", "cancelled_at",
            "feature_overrides", "limit_overrides", "monthly_value", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = fields

    def get_monthly_value(self, subscription) -> str:
        return str(subscription_monthly_value(subscription))


class SubscriptionCreateSerializer(serializers.Serializer):
    tenant = serializers.SlugRelatedField(slug_field="slug", queryset=organisations())
    app = serializers.CharField(max_length=20)
    plan = serializers.CharField(max_length=40)
    status = serializers.ChoiceField(choices=["trial", "active"], default="trial")
    note = serializers.CharField(required=False, allow_blank=True)


class ChangePlanSerializer(serializers.Serializer):
    plan = serializers.CharField(max_length=40, help_text="Key of a plan of the same app.")
    note = serializers.CharField(required=False, allow_blank=True)


class NoteSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True)


class OverridesSerializer(serializers.Serializer):
    feature_overrides = serializers.DictField(child=serializers.BooleanField(), required=False)
    limit_overrides = serializers.DictField(
        child=serializers.IntegerField(min_value=0, allow_null=True), required=False
    )
    note = serializers.CharField(required=False, allow_blank=True)


class SubscriptionEventSerializer(ModelSerializer):
    from_plan = serializers.CharField(source="from_plan.key", default=None, read_only=True)
    to_plan = serializers.CharField(source="to_plan.key", default=None, read_only=True)

    class Meta:
        model = SubscriptionEvent
        fields = ["id", "action", "from_status", "to_status", "from_plan", "to_plan", "changes",
                  "actor", "note", "created_at"]  # fmt: skip
        read_only_fields = fields
