"""The organisation's shared settings, read one way by every app: `currency()`.

The row is created with the schema (a tenant initialiser, or the first edit in the console);
until then the defaults apply. Reads are cached with the tenant's other per-request lookups
and invalidated in every worker when the row changes (`organisation_update`).
"""

from django.db import connection, transaction

from apps.core.audit import audit_created
from apps.core.kit.writes import record_update
from apps.core.localcache import tenancy_cache
from apps.core.models import DEFAULT_CURRENCY, OrganisationSettings

__all__ = ["currency", "organisation_ensure", "organisation_update"]


def _load() -> dict:
    row = OrganisationSettings.objects.filter(pk=1).values("currency").first()
    return row or {"currency": DEFAULT_CURRENCY}


def currency() -> str:
    """The organisation's currency (ISO 4217)."""
    return tenancy_cache.get_or_load(("organisation", connection.schema_name), _load)["currency"]


@transaction.atomic
def organisation_ensure(**_) -> OrganisationSettings:
    """Tenant initialiser: the settings row exists (created once; later edits are kept)."""
    row, created = OrganisationSettings.objects.get_or_create(pk=1)
    if created:
        audit_created(row)
    return row


@transaction.atomic
def organisation_update(*, actor=None, **fields) -> OrganisationSettings:
    row = OrganisationSettings.objects.select_for_update().filter(pk=1).first()
    row = row or organisation_ensure()
    if record_update(row, fields, actor=actor):
        transaction.on_commit(tenancy_cache.invalidate)
    return row
