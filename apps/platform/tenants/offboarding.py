"""Offboarding: export a tenant's data as a downloadable archive, then drop its schema."""

import io
import json
import logging
import zipfile
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.utils import timezone
from django_tenants.utils import schema_context, schema_exists

from apps.core.audit import audit_record, diff, snapshot
from apps.core.dispatch import dispatch
from apps.core.exceptions import ConflictError
from apps.platform.licensing.models import Subscription
from apps.platform.licensing.services import subscription_cancel
from apps.platform.tenants import schemas
from apps.platform.tenants.constants import OFFBOARD_TASK
from apps.platform.tenants.models import Tenant

logger = logging.getLogger(__name__)

# Rebuilt by migrations in any new schema; exporting them would only get in the way of a restore.
EXCLUDED_FROM_EXPORT = ["contenttypes", "auth.permission", "sessions", "token_blacklist"]


def export_dir() -> Path:
    return Path(settings.MEDIA_ROOT) / "platform-exports"


def tenant_export(tenant: Tenant, *, app_labels: list[str] | None = None, app: str = "") -> Path:
    """Write every row of the tenant's schema (or of the Django apps `app_labels` only, the
    tables of one catalog app `app`) to a zip of JSON fixtures; returns its path."""
    if not schema_exists(tenant.schema_name):
        raise ConflictError(f"{tenant.name} has no schema to export.")
    buffer = io.StringIO()
    with schema_context(tenant.schema_name):
        call_command(
            "dumpdata", *(app_labels or []), exclude=EXCLUDED_FROM_EXPORT, natural_foreign=True,
            indent=1, stdout=buffer,
        )  # fmt: skip
    stamp = timezone.now().strftime("%Y%m%dT%H%M%S%fZ")
    name = f"{tenant.slug}-{app}-{stamp}" if app else f"{tenant.slug}-{stamp}"
    path = export_dir() / f"{name}.zip"
    path.parent.mkdir(parents=True, exist_ok=True)
    manifest = {
        "tenant": tenant.name,
        "slug": tenant.slug,
        "schema": tenant.schema_name,
        "app": app or None,
        "exported_at": timezone.now().isoformat(),
        "migration_state": schemas.migration_fingerprint(),
        "format": "Django fixtures (manage.py loaddata data.json into a fresh tenant schema)",
    }
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("manifest.json", json.dumps(manifest, indent=2))
        archive.writestr("data.json", buffer.getvalue())
    return path


OFFBOARDABLE = (Tenant.Status.ACTIVE, Tenant.Status.SUSPENDED, Tenant.Status.FAILED)


def tenant_offboard_request(tenant: Tenant) -> Tenant:
    """Check the tenant can be offboarded and hand the work to a Celery task (on commit)."""
    if tenant.status not in OFFBOARDABLE:
        raise ConflictError(f"{tenant.name} is {tenant.status}; it cannot be offboarded now.")
    dispatch(OFFBOARD_TASK, tenant.pk)
    return tenant


def tenant_offboard(tenant_id: int) -> Tenant:
    """Export, then drop the schema and the hosts. The tenant row stays, as a record."""
    connection.set_schema_to_public()
    tenant = Tenant.objects.get(pk=tenant_id)
    if tenant.status == Tenant.Status.OFFBOARDED:
        return tenant
    if tenant.status not in OFFBOARDABLE:
        raise ConflictError(f"{tenant.name} is {tenant.status}; it cannot be offboarded now.")
    audited_fields = ["status", "status_reason", "export_archive"]
    before = snapshot(tenant, fields=audited_fields)
    archive = tenant_export(tenant) if schema_exists(tenant.schema_name) else None
    connection.set_schema_to_public()

    # Nothing is owed for a tenant that no longer exists.
    for subscription in tenant.subscriptions.exclude(status=Subscription.Status.CANCELLED):
        subscription_cancel(subscription=subscription, actor="offboarding", note="Offboarded.")
    domains = list(tenant.domains.values_list("domain", flat=True))
    tenant.domains.all().delete()
    schemas.drop_schema(tenant.schema_name)
    tenant.status = Tenant.Status.OFFBOARDED
    tenant.status_reason = "Offboarded; data exported." if archive else "Offboarded."
    tenant.export_archive = str(archive.relative_to(settings.MEDIA_ROOT)) if archive else ""
    tenant.save(update_fields=["status", "status_reason", "export_archive", "updated_at"])
    changes = diff(before, snapshot(tenant, fields=audited_fields))
    changes["domains"] = [domains, []]
    audit_record(action="offboard", instance=tenant, changes=changes)
    logger.info("tenant %s offboarded (export: %s)", tenant.slug, archive)
    return tenant
