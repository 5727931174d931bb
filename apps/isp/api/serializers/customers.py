"""Customer accounts, their contacts, notes, timeline and statement."""

from rest_framework import serializers

from apps.core.api.serializers import MONEY, CurrencyField, DateField, ModelSerializer
from apps.identity.models import User
from apps.isp.models import Customer, CustomerContact, TimelineEvent
from apps.isp.services.customers import EDITABLE_FIELDS

__all__ = [
    "CustomerContactSerializer",
    "CustomerSerializer",
    "CustomerStatusSerializer",
    "LinkUserSerializer",
    "NoteSerializer",
    "StatementQuerySerializer",
    "StatementSerializer",
    "TimelineEventSerializer",
]


class CustomerSerializer(ModelSerializer):
    currency = CurrencyField(help_text="Currency of the balance (the organisation's).")
    portal_username = serializers.CharField(
        source="user.username", read_only=True, default=None, allow_null=True
    )

    class Meta:
        model = Customer
        fields = ["id", "account_number", *EDITABLE_FIELDS, "status", "balance", "currency",
                  "user", "portal_username", "created_at", "updated_at"]  # fmt: skip
        read_only_fields = ["account_number", "status", "balance", "user", "created_at",
                            "updated_at"]  # fmt: skip


class CustomerStatusSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Customer.Status.choices)
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class NoteSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=300)


class LinkUserSerializer(serializers.Serializer):
    user = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.all(),
        allow_null=True,
        help_text="The tenant user who signs in to the portal as this customer (null unlinks).",
    )


class TimelineEventSerializer(ModelSerializer):
    class Meta:
        model = TimelineEvent
        fields = ["id", "kind", "message", "data", "actor", "created_at"]
        read_only_fields = fields


class StatementQuerySerializer(serializers.Serializer):
    start = DateField(required=False, help_text="Default: a year before `end`.")
    end = DateField(required=False, help_text="Default: today.")


class StatementEntrySerializer(serializers.Serializer):
    date = DateField()
    kind = serializers.CharField()
    number = serializers.CharField()
    description = serializers.CharField()
    debit = serializers.DecimalField(**MONEY)
    credit = serializers.DecimalField(**MONEY)
    balance = serializers.DecimalField(**MONEY)


class StatementSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="customer.pk", help_text="The customer's id.")
    customer = serializers.IntegerField(source="customer.pk")
    start = DateField()
    end = DateField()
    currency = CurrencyField()
    opening_balance = serializers.DecimalField(**MONEY)
    entries = StatementEntrySerializer(many=True)
    closing_balance = serializers.DecimalField(**MONEY)


class CustomerContactSerializer(ModelSerializer):
    class Meta:
        model = CustomerContact
        fields = ["id", "customer", "name", "role", "email", "phone"]
