"""The audit trail: one row per write, in the schema where the write happened.

Platform actions are recorded in the public schema, a tenant's in its own schema (apps.core is a
shared and a tenant app, so this table exists in both). Rows are written by explicit calls
(apps.core.audit.audit_record) and are never changed nor deleted: the model refuses it, and a
trigger in each schema refuses it at the database level too (migration 0002).
"""

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone

__all__ = ["AuditEntry", "AuditEntryIsImmutable"]


class AuditEntryIsImmutable(Exception):
    """Raised on any attempt to change or delete an audit entry."""

    def __init__(self, message: str = "Audit entries are never changed nor deleted."):
        super().__init__(message)


class AuditEntryQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AuditEntryIsImmutable()

    def delete(self):
        raise AuditEntryIsImmutable()

    # bulk_update goes through update(); no need to guard it separately.


class AuditEntry(models.Model):
    """Who did what to which object, when, from where, with the fields it changed.

    `changes` maps each changed field to `[before, after]` (`before` is null for a creation,
    `after` for a deletion); secrets (passwords, hashes, tokens, keys) are recorded as "***".
    """

    class ActorType(models.TextChoices):
        USER = "user", "user"
        API_KEY = "api_key", "API key"
        TASK = "task", "task"
        ANONYMOUS = "anonymous", "anonymous visitor"
        SYSTEM = "system", "system"

    class Source(models.TextChoices):
        API = "api", "API"
        ADMIN = "admin", "admin"
        PAGE = "page", "page"
        TASK = "task", "task"
        SHELL = "shell", "shell / command"

    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"

    created_at = models.DateTimeField("time", default=timezone.now, db_index=True, editable=False)
    actor = models.CharField(
        "actor",
        max_length=150,
        help_text='Username, or "task:<name>", "api-key:<prefix>", "system" for non-users.',
    )
    actor_id = models.BigIntegerField(
        "actor id",
        null=True,
        blank=True,
        help_text="The user's id in this schema (no foreign key: users differ per schema).",
    )
    actor_type = models.CharField(
        "actor type", max_length=20, choices=ActorType.choices, default=ActorType.SYSTEM
    )
    tenant = models.CharField(
        "schema", max_length=63, help_text="The schema the write happened in."
    )
    action = models.CharField(
        "action",
        max_length=50,
        db_index=True,
        help_text="create, update, delete, or a named operation (suspend, change_plan, login…).",
    )
    object_type = models.CharField(
        "object type", max_length=100, db_index=True, help_text="app_label.model"
    )
    object_id = models.CharField("object id", max_length=64, blank=True)
    object_repr = models.CharField("object", max_length=200, blank=True)
    changes = models.JSONField(
        "changes",
        default=dict,
        blank=True,
        encoder=DjangoJSONEncoder,
        help_text="{field: [before, after]} of the fields the write changed.",
    )
    request_id = models.CharField("request id", max_length=128, blank=True, db_index=True)
    ip = models.GenericIPAddressField("IP address", null=True, blank=True)
    source = models.CharField("source", max_length=10, choices=Source.choices, default=Source.SHELL)

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "audit entry"
        verbose_name_plural = "audit trail"
        indexes = [models.Index(fields=["object_type", "object_id"], name="core_audit_object_idx")]

    def __str__(self) -> str:
        return f"{self.actor} {self.action} {self.object_type} {self.object_repr}".strip()

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AuditEntryIsImmutable()
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AuditEntryIsImmutable()
