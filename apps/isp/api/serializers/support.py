"""Support: tickets, their replies and notes, attachments, teams, SLA policies, business hours,
holidays and saved views; the portal's view of a customer's own tickets (no internal notes)."""

from django.contrib.auth import get_user_model
from rest_framework import serializers

from apps.core.api.serializers import ModelSerializer
from apps.isp.models import (
    BusinessHours,
    Holiday,
    SavedTicketView,
    SlaPolicy,
    SupportTeam,
    Ticket,
    TicketAttachment,
    TicketReply,
)

__all__ = [
    "AssignSerializer",
    "BusinessHoursSerializer",
    "HolidaySerializer",
    "MergeSerializer",
    "PortalReplyInput",
    "PortalTicketCreateSerializer",
    "PortalTicketSerializer",
    "ReplyInput",
    "ResolveSerializer",
    "SavedTicketViewSerializer",
    "SlaPolicySerializer",
    "SupportTeamSerializer",
    "TicketAttachmentSerializer",
    "TicketReplySerializer",
    "TicketSerializer",
]

User = get_user_model()


class SupportTeamSerializer(ModelSerializer):
    class Meta:
        model = SupportTeam
        fields = ["id", "name", "email", "members", "created_at"]
        read_only_fields = ["created_at"]


class SlaPolicySerializer(ModelSerializer):
    class Meta:
        model = SlaPolicy
        fields = ["id", "name", "priority", "first_response_minutes", "resolution_minutes",
                  "business_hours_only", "warn_percent", "escalation_team",
                  "updated_at"]  # fmt: skip
        read_only_fields = ["updated_at"]


class BusinessHoursSerializer(ModelSerializer):
    class Meta:
        model = BusinessHours
        fields = ["id", "weekday", "opens", "closes"]


class HolidaySerializer(ModelSerializer):
    class Meta:
        model = Holiday
        fields = ["id", "date", "name"]


class TicketSerializer(ModelSerializer):
    """A ticket as staff see it, with its SLA clock (read only: the services keep it)."""

    customer_name = serializers.CharField(source="customer.name", read_only=True, default=None,
                                          allow_null=True)  # fmt: skip
    assignee_name = serializers.CharField(source="assignee.username", read_only=True,
                                          default=None, allow_null=True)  # fmt: skip
    team_name = serializers.CharField(source="team.name", read_only=True, default=None,
                                      allow_null=True)  # fmt: skip

    class Meta:
        model = Ticket
        fields = ["id", "subject", "description", "category", "priority", "status", "source",
                  "customer", "customer_name", "service", "device", "team", "team_name",
                  "assignee", "assignee_name", "merged_into", "sla_policy",
                  "sla_elapsed_seconds", "sla_paused_seconds", "first_response_due_at",
                  "resolution_due_at", "first_responded_at", "first_response_breached_at",
                  "warned_at", "breached_at", "escalated_at", "resolved_at", "created_at",
                  "updated_at"]  # fmt: skip
        read_only_fields = ["status", "source", "merged_into", "sla_policy", "created_at",
                            "updated_at"]  # fmt: skip
        extra_kwargs = {"subject": {"required": True}}


class TicketReplySerializer(ModelSerializer):
    class Meta:
        model = TicketReply
        fields = ["id", "ticket", "author", "author_name", "from_customer", "internal", "body",
                  "created_at"]  # fmt: skip
        read_only_fields = fields


class TicketAttachmentSerializer(ModelSerializer):
    class Meta:
        model = TicketAttachment
        fields = ["id", "ticket", "reply", "name", "content_type", "size", "internal",
                  "created_at"]  # fmt: skip
        read_only_fields = fields


class ReplyInput(serializers.Serializer):
    body = serializers.CharField(max_length=20_000)
    internal = serializers.BooleanField(default=False, help_text="An internal note (staff only).")
    status = serializers.ChoiceField(
        choices=["open", "waiting"], required=False,
        help_text="waiting: on the customer (the SLA clock pauses).",
    )  # fmt: skip


class AssignSerializer(serializers.Serializer):
    team = serializers.PrimaryKeyRelatedField(queryset=SupportTeam.objects.all(), allow_null=True,
                                              required=False)  # fmt: skip
    assignee = serializers.PrimaryKeyRelatedField(queryset=User.objects.all(), allow_null=True,
                                                  required=False)  # fmt: skip

    def validate(self, attrs):
        if not attrs:
            raise serializers.ValidationError({"assignee": "Name a team or an agent (or null)."})
        return attrs


class ResolveSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=20_000, required=False, default="", allow_blank=True)


class MergeSerializer(serializers.Serializer):
    into = serializers.PrimaryKeyRelatedField(
        queryset=Ticket.objects.all(), help_text="The ticket this one duplicates."
    )


class SavedTicketViewSerializer(ModelSerializer):
    class Meta:
        model = SavedTicketView
        fields = ["id", "name", "query", "shared", "created_at"]
        read_only_fields = ["created_at"]


class PortalTicketSerializer(ModelSerializer):
    """A customer's ticket: what they asked and its public replies (never the internal notes,
    nor the staff's SLA figures)."""

    replies = serializers.SerializerMethodField()

    class Meta:
        model = Ticket
        fields = ["id", "subject", "description", "category", "status", "service", "replies",
                  "created_at", "updated_at", "resolved_at"]  # fmt: skip
        read_only_fields = fields

    def get_replies(self, ticket) -> list[dict]:
        # The prefetched public replies (the viewset's queryset): no query per ticket.
        return [
            {"id": reply.pk, "body": reply.body, "from_customer": reply.from_customer,
             "author_name": reply.author_name if not reply.from_customer else "You",
             "created_at": serializers.DateTimeField().to_representation(reply.created_at)}
            for reply in ticket.public_replies
        ]  # fmt: skip


class PortalTicketCreateSerializer(serializers.Serializer):
    subject = serializers.CharField(max_length=200)
    description = serializers.CharField(max_length=20_000)
    category = serializers.ChoiceField(choices=Ticket.Category.choices, default="technical")
    service = serializers.IntegerField(required=False, allow_null=True, min_value=1)


class PortalReplyInput(serializers.Serializer):
    body = serializers.CharField(max_length=20_000)
