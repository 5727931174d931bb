"""Core's admin: the read-only audit trail (registered in apps.core.admin_audit)."""

from apps.core.admin_audit import AuditEntryAdmin

__all__ = ["AuditEntryAdmin"]
