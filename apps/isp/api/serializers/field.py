"""Field work: work orders with their checklist, parts and files, and the inputs of their
status changes (the staff's API and the technician's)."""

from django.contrib.auth import get_user_model
from rest_framework import serializers

from apps.core.api.serializers import ModelSerializer
from apps.isp.models import ChecklistItem, Device, WorkOrder, WorkOrderFile, WorkOrderPart
from apps.isp.selectors.field import job_address

__all__ = [
    "ChecklistItemSerializer",
    "ChecklistTickSerializer",
    "JobNoteSerializer",
    "PartInput",
    "SignatureInput",
    "StatusInput",
    "TechJobSerializer",
    "WorkOrderCreateSerializer",
    "WorkOrderFileSerializer",
    "WorkOrderPartSerializer",
    "WorkOrderSerializer",
]

User = get_user_model()


class ChecklistItemSerializer(ModelSerializer):
    class Meta:
        model = ChecklistItem
        fields = ["id", "position", "label", "done", "done_at"]
        read_only_fields = fields


class WorkOrderPartSerializer(ModelSerializer):
    class Meta:
        model = WorkOrderPart
        fields = ["id", "device", "description", "quantity", "created_at"]
        read_only_fields = fields


class WorkOrderFileSerializer(ModelSerializer):
    class Meta:
        model = WorkOrderFile
        fields = ["id", "kind", "content_type", "size", "created_at"]
        read_only_fields = fields


class WorkOrderSerializer(ModelSerializer):
    """A job (staff): PATCH reschedules or reassigns it; its status moves through `status`."""

    customer_name = serializers.CharField(source="customer.name", read_only=True)
    technician_name = serializers.CharField(source="technician.username", read_only=True,
                                            default=None, allow_null=True)  # fmt: skip
    checklist = ChecklistItemSerializer(many=True, read_only=True)
    parts = WorkOrderPartSerializer(many=True, read_only=True)

    class Meta:
        model = WorkOrder
        fields = ["id", "kind", "status", "customer", "customer_name", "service", "ticket",
                  "technician", "technician_name", "slot_start", "slot_end", "instructions",
                  "notes", "failure_reason", "completed_at", "checklist", "parts", "created_at",
                  "updated_at"]  # fmt: skip
        read_only_fields = ["kind", "status", "customer", "service", "notes", "failure_reason",
                            "completed_at", "created_at", "updated_at"]  # fmt: skip


class WorkOrderCreateSerializer(ModelSerializer):
    checklist = serializers.ListField(child=serializers.CharField(max_length=200), required=False,
                                      max_length=50)  # fmt: skip

    class Meta:
        model = WorkOrder
        fields = ["kind", "customer", "service", "ticket", "technician", "slot_start",
                  "slot_end", "instructions", "checklist"]  # fmt: skip


class TechJobSerializer(ModelSerializer):
    """A technician's job: where, when, what to do, and its checklist."""

    customer_name = serializers.CharField(source="customer.name", read_only=True)
    address = serializers.SerializerMethodField()
    checklist = ChecklistItemSerializer(many=True, read_only=True)

    class Meta:
        model = WorkOrder
        fields = ["id", "kind", "status", "customer_name", "address", "slot_start", "slot_end",
                  "instructions", "notes", "failure_reason", "checklist",
                  "completed_at"]  # fmt: skip
        read_only_fields = fields

    def get_address(self, job) -> str:
        return job_address(job)


class StatusInput(serializers.Serializer):
    status = serializers.ChoiceField(choices=WorkOrder.Status.choices)
    reason = serializers.CharField(max_length=500, required=False, default="", allow_blank=True)


class ChecklistTickSerializer(serializers.Serializer):
    item = serializers.IntegerField(min_value=1)
    done = serializers.BooleanField()


class JobNoteSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=5000)


class PartInput(serializers.Serializer):
    device = serializers.PrimaryKeyRelatedField(queryset=Device.objects.all(), required=False,
                                                allow_null=True)  # fmt: skip
    description = serializers.CharField(max_length=200, required=False, default="",
                                        allow_blank=True)  # fmt: skip
    quantity = serializers.IntegerField(min_value=1, max_value=1000, default=1)


class SignatureInput(serializers.Serializer):
    signature = serializers.CharField(max_length=700_000, help_text="data:image/png;base64,…")
