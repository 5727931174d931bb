"""Models shared by every schema (apps.core is both a shared and a tenant app)."""

from apps.core.models.audit import AuditEntry, AuditEntryIsImmutable
from apps.core.models.heartbeats import WorkerHeartbeat

__all__ = ["AuditEntry", "AuditEntryIsImmutable", "WorkerHeartbeat"]
