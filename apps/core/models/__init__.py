"""Models shared by every schema (apps.core is both a shared and a tenant app)."""

from apps.core.models.audit import AuditEntry, AuditEntryIsImmutable
from apps.core.models.heartbeats import WorkerHeartbeat
from apps.core.models.leases import Lease
from apps.core.models.organisation import DEFAULT_CURRENCY, OrganisationSettings
from apps.core.models.parties import PartyLink

__all__ = [
    "DEFAULT_CURRENCY",
    "AuditEntry",
    "AuditEntryIsImmutable",
    "Lease",
    "OrganisationSettings",
    "PartyLink",
    "WorkerHeartbeat",
]
