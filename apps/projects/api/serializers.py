"""API representations of Project Management. Writes go through apps.projects.services."""

from rest_framework import serializers

from apps.core.api.serializers import CurrencyField, DateField, ModelSerializer
from apps.identity.models import User
from apps.projects.constants import MAX_DEPENDENCIES, MAX_LABELS, MemberRole
from apps.projects.models import (
    ChecklistItem,
    Column,
    Comment,
    Milestone,
    Notification,
    Project,
    ProjectMember,
    ProjectTemplate,
    Task,
    TaskAttachment,
    TimeLog,
)


def _name(user) -> str:
    return (user.get_full_name() or user.get_username()) if user else ""


class MemberSerializer(ModelSerializer):
    username = serializers.CharField(source="user.username", read_only=True)
    name = serializers.SerializerMethodField()

    class Meta:
        model = ProjectMember
        fields = ["user", "username", "name", "role"]

    def get_name(self, obj) -> str:
        return _name(obj.user)


class ProjectSerializer(ModelSerializer):
    members = MemberSerializer(many=True, read_only=True)
    task_count = serializers.IntegerField(read_only=True)
    done_count = serializers.IntegerField(read_only=True)
    estimate_hours = serializers.DecimalField(max_digits=12, decimal_places=2, read_only=True)
    logged_hours = serializers.DecimalField(max_digits=12, decimal_places=2, read_only=True)
    currency = CurrencyField(help_text="Currency of the budget (the organisation's).")
    start_date = DateField(required=False, allow_null=True)
    end_date = DateField(required=False, allow_null=True)

    class Meta:
        model = Project
        fields = ["id", "name", "description", "status", "start_date", "end_date",
                  "budget_hours", "budget_amount", "currency", "members", "task_count",
                  "done_count", "estimate_hours", "logged_hours", "created_at",
                  "updated_at"]  # fmt: skip


class MemberInput(serializers.Serializer):
    user = serializers.PrimaryKeyRelatedField(queryset=User.objects.filter(is_active=True))
    role = serializers.ChoiceField(choices=MemberRole.choices, default=MemberRole.MEMBER)


class RemoveMemberInput(serializers.Serializer):
    user = serializers.PrimaryKeyRelatedField(queryset=User.objects.all())


class FromTemplateInput(serializers.Serializer):
    template = serializers.PrimaryKeyRelatedField(queryset=ProjectTemplate.objects.all())
    start_date = DateField(required=False, allow_null=True)


class CreateProjectInput(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    description = serializers.CharField(max_length=20_000, required=False, allow_blank=True)
    start_date = DateField(required=False, allow_null=True)
    budget_hours = serializers.DecimalField(max_digits=9, decimal_places=2, required=False,
                                            allow_null=True, min_value=0)  # fmt: skip
    budget_amount = serializers.DecimalField(max_digits=14, decimal_places=2, required=False,
                                             min_value=0)  # fmt: skip


class InvoiceTimeSerializer(serializers.Serializer):
    charged = serializers.IntegerField(help_text="Time logs put on the invoice now (0: none left).")
    service = serializers.CharField(help_text="The linked ISP service whose customer is charged.")


class TotalsSerializer(serializers.Serializer):
    task_count = serializers.IntegerField()
    done_count = serializers.IntegerField()
    estimate_hours = serializers.DecimalField(max_digits=12, decimal_places=2)
    logged_hours = serializers.DecimalField(max_digits=12, decimal_places=2)
    billable_hours = serializers.DecimalField(max_digits=12, decimal_places=2)
    billable_amount = serializers.DecimalField(max_digits=14, decimal_places=2)
    variance_hours = serializers.DecimalField(max_digits=12, decimal_places=2,
                                              help_text="Logged minus estimated.")  # fmt: skip
    budget_hours = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True)
    budget_hours_left = serializers.DecimalField(max_digits=12, decimal_places=2,
                                                 allow_null=True)  # fmt: skip
    budget_amount = serializers.DecimalField(max_digits=14, decimal_places=2)
    budget_amount_left = serializers.DecimalField(max_digits=14, decimal_places=2)
    by_person = serializers.ListField(child=serializers.DictField())


class MilestoneSerializer(ModelSerializer):
    project = serializers.PrimaryKeyRelatedField(queryset=Project.objects.all())
    task_count = serializers.IntegerField(read_only=True)
    open_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Milestone
        fields = ["id", "project", "name", "due_date", "done", "completed_at", "task_count",
                  "open_count"]  # fmt: skip
        read_only_fields = ["completed_at"]


class ColumnSerializer(ModelSerializer):
    project = serializers.PrimaryKeyRelatedField(queryset=Project.objects.all())
    task_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Column
        fields = ["id", "project", "name", "position", "wip_limit", "is_done", "task_count"]
        extra_kwargs = {"position": {"required": False}}


class TaskSerializer(ModelSerializer):
    project = serializers.PrimaryKeyRelatedField(queryset=Project.objects.all())
    column = serializers.PrimaryKeyRelatedField(
        queryset=Column.objects.all(), required=False,
        help_text="Set on create (default: the first column); later, move the task.",
    )  # fmt: skip
    column_name = serializers.CharField(source="column.name", read_only=True)
    is_done = serializers.BooleanField(source="column.is_done", read_only=True)
    assignee = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True), required=False, allow_null=True
    )
    assignee_name = serializers.SerializerMethodField()
    labels = serializers.ListField(child=serializers.CharField(max_length=40), required=False,
                                   max_length=MAX_LABELS)  # fmt: skip
    depends_on = serializers.ListField(
        child=serializers.IntegerField(min_value=1), required=False, max_length=MAX_DEPENDENCIES,
        source="depends_on_ids",
        help_text="Ids of the tasks that must finish before this one starts (finish-to-start).",
    )  # fmt: skip
    logged_hours = serializers.DecimalField(max_digits=12, decimal_places=2, read_only=True)
    variance_hours = serializers.SerializerMethodField(
        help_text="Logged minus estimated hours (null without an estimate)."
    )
    start_date = DateField(required=False, allow_null=True)
    due_date = DateField(required=False, allow_null=True)

    class Meta:
        model = Task
        fields = ["id", "project", "column", "column_name", "position", "is_done", "title",
                  "description", "assignee", "assignee_name", "priority", "labels",
                  "start_date", "due_date", "estimate_hours", "logged_hours", "variance_hours",
                  "parent", "milestone", "depends_on", "completed_at", "created_at",
                  "updated_at"]  # fmt: skip
        read_only_fields = ["position", "completed_at"]
        # one card per position: the move service keeps it (and the database holds it); DRF's
        # unique-together check would make `column` required on every write
        validators: list = []

    def get_assignee_name(self, obj) -> str:
        return _name(obj.assignee)

    def get_variance_hours(self, obj) -> str | None:
        if obj.estimate_hours is None:
            return None
        return f"{(getattr(obj, 'logged_hours', 0) or 0) - obj.estimate_hours:.2f}"

    def validate(self, attrs):
        """`depends_on` ids → the tasks (of the same project; the service checks the rest)."""
        ids = attrs.pop("depends_on_ids", None)
        if ids is not None:
            found = {t.pk: t for t in Task.objects.filter(pk__in=set(ids))}
            missing = sorted(set(ids) - set(found))
            if missing:
                raise serializers.ValidationError(
                    {"depends_on": f'Invalid pk "{missing[0]}" - object does not exist.'}
                )
            attrs["depends_on"] = [found[pk] for pk in dict.fromkeys(ids)]
        return attrs


class TaskMoveInput(serializers.Serializer):
    column = serializers.PrimaryKeyRelatedField(queryset=Column.objects.all())
    position = serializers.IntegerField(
        min_value=0,
        max_value=1_000_000,
        required=False,
        allow_null=True,
        help_text="0 = top; blank or past the end: bottom.",
    )


class TimeLogSerializer(ModelSerializer):
    task = serializers.PrimaryKeyRelatedField(queryset=Task.objects.all())
    user = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True), required=False,
        help_text="Whose time (default: the requester's).",
    )  # fmt: skip
    username = serializers.CharField(source="user.username", read_only=True)
    project = serializers.IntegerField(source="task.project_id", read_only=True)
    amount = serializers.DecimalField(max_digits=14, decimal_places=2, read_only=True)
    work_date = DateField(required=False)

    class Meta:
        model = TimeLog
        fields = ["id", "task", "project", "user", "username", "work_date", "hours",
                  "billable", "rate", "amount", "note", "created_at"]  # fmt: skip


class CommentSerializer(ModelSerializer):
    task = serializers.PrimaryKeyRelatedField(queryset=Task.objects.all())
    author_name = serializers.SerializerMethodField()
    mentions = serializers.SerializerMethodField()

    class Meta:
        model = Comment
        fields = ["id", "task", "author", "author_name", "body", "mentions", "created_at",
                  "updated_at"]  # fmt: skip
        read_only_fields = ["author"]

    def get_author_name(self, obj) -> str:
        return _name(obj.author)

    def get_mentions(self, obj) -> list[str]:
        return sorted(user.username for user in obj.mentions.all())


class TemplateSerializer(ModelSerializer):
    milestones = serializers.ListField(child=serializers.DictField(), required=False,
                                       max_length=50)  # fmt: skip
    tasks = serializers.ListField(child=serializers.DictField(), required=False, max_length=200)

    class Meta:
        model = ProjectTemplate
        fields = ["id", "name", "description", "milestones", "tasks", "created_at",
                  "updated_at"]  # fmt: skip


class TaskChecklistItemSerializer(ModelSerializer):
    task = serializers.PrimaryKeyRelatedField(queryset=Task.objects.all())
    done_by_name = serializers.SerializerMethodField()

    class Meta:
        model = ChecklistItem
        fields = ["id", "task", "text", "done", "position", "done_at", "done_by",
                  "done_by_name", "created_at"]  # fmt: skip
        read_only_fields = ["done_at", "done_by"]
        extra_kwargs = {"position": {"required": False,
                                     "help_text": "Top to bottom (default: last)."}}  # fmt: skip

    def get_done_by_name(self, obj) -> str:
        return _name(obj.done_by)


class AttachmentSerializer(ModelSerializer):
    uploaded_by_name = serializers.SerializerMethodField()
    download = serializers.SerializerMethodField(help_text="The file itself (GET).")

    class Meta:
        model = TaskAttachment
        fields = ["id", "task", "name", "content_type", "size", "uploaded_by",
                  "uploaded_by_name", "download", "created_at"]  # fmt: skip
        read_only_fields = fields

    def get_uploaded_by_name(self, obj) -> str:
        return _name(obj.uploaded_by)

    def get_download(self, obj) -> str:
        return f"/api/v1/projects/attachments/{obj.pk}/download/"


class NotificationSerializer(ModelSerializer):
    task_title = serializers.CharField(source="task.title", read_only=True)
    project = serializers.IntegerField(source="task.project_id", read_only=True)
    read = serializers.SerializerMethodField()

    class Meta:
        model = Notification
        fields = ["id", "kind", "message", "task", "task_title", "project", "comment",
                  "due_date", "read", "read_at", "created_at"]  # fmt: skip
        read_only_fields = fields

    def get_read(self, obj) -> bool:
        return obj.read_at is not None


class UnreadSerializer(serializers.Serializer):
    unread = serializers.IntegerField()
