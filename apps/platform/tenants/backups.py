"""Backups of one tenant, and restores of them into a new (or, when asked, the same) tenant.
The file itself (a gzipped tar: manifest, one COPY file per table, uploaded files) is
described, written and checked in backup_format.py.

Consistency: every table is read in one REPEATABLE READ, READ ONLY transaction on a connection
of its own, the same snapshot pg_dump takes; the counts and checksums in the manifest are
computed in that snapshot too, so they describe exactly the rows in the file. (COPY over the
application's own connection rather than pg_dump: no client binary has to match the server's
major version, and a TCP host and a socket directory are handled by the same libpq parameters.)

Restore never touches the source tenant: the schema structure comes from DotMac's own
migrations (the template clone, or a migration to the backup's state), into a scratch schema;
the rows are loaded into it in one transaction and verified against the manifest (count and
checksum of every table) before the scratch schema is renamed to the tenant's and the
public-schema rows (tenant, domain, subscriptions) are created. Any failure drops the scratch
schema: nothing is written.
"""

import dataclasses
import json
import logging
import secrets
import shutil
import tarfile
import tempfile
import time
from pathlib import Path

import psycopg
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone
from django_tenants.postgresql_backend.base import _check_schema_name
from django_tenants.utils import schema_exists
from psycopg import sql

from apps.core.audit import audit_created, audit_record
from apps.platform.catalog.models import Plan
from apps.platform.licensing.models import Subscription
from apps.platform.licensing.services import subscription_create, subscription_set_overrides
from apps.platform.tenants import schemas
from apps.platform.tenants.backup_format import (
    FORMAT,
    FORMAT_VERSION,
    MANIFEST,
    BackupError,
    add_bytes,
    backup_read_manifest,
    file_sha256,
    media_root,
    schema_digests,
    schema_sequences,
    schema_tables,
    table_digest,
)
from apps.platform.tenants.models import Domain, Tenant
from apps.platform.tenants.models.tenants import schema_name_for
from apps.platform.tenants.services import tenant_host

logger = logging.getLogger(__name__)

SCRATCH_PREFIX = "restore_"


@dataclasses.dataclass
class RestoreReport:
    tenant: Tenant
    schema_name: str
    tables: list[dict]
    migrated_forward: bool
    media_files: int
    subscriptions: list[str]
    seconds: dict[str, float] = dataclasses.field(default_factory=dict)


def _own_connection() -> psycopg.Connection:
    """A connection of the backup's own to the application's database (TCP host or socket
    directory alike: the same libpq parameters as Django's)."""
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    return psycopg.connect(**params)


# --- Backup ---------------------------------------------------------------------------------------


def default_backup_path(tenant: Tenant) -> Path:
    stamp = timezone.now().strftime("%Y%m%dT%H%M%SZ")
    return Path(settings.TENANT_BACKUP_DIR) / f"{tenant.slug}-{stamp}.tenant.tar.gz"


def _public_rows(tenant: Tenant) -> dict:
    subscriptions = [
        {
            "app": s.app.key,
            "plan": s.plan.key,
            "status": s.status,
            "feature_overrides": s.feature_overrides,
            "limit_overrides": s.limit_overrides,
        }
        for s in tenant.subscriptions.select_related("app", "plan").order_by("app__key")
    ]
    domains = list(tenant.domains.order_by("domain").values_list("domain", flat=True))
    return {"subscriptions": subscriptions, "domains": domains}


def tenant_backup(tenant: Tenant, output: Path | None = None) -> tuple[Path, dict]:
    """Write the tenant's backup file; returns its path and manifest."""
    schema_name = tenant.schema_name
    _check_schema_name(schema_name)
    if tenant.is_public or not schema_exists(schema_name):
        raise BackupError(f"{tenant.slug} has no schema to back up.")
    output = Path(output) if output else default_backup_path(tenant)
    output.parent.mkdir(parents=True, exist_ok=True)
    public_rows = _public_rows(tenant)

    with tempfile.TemporaryDirectory(prefix="tenant-backup-") as scratch:
        scratch = Path(scratch)
        tables = []
        with _own_connection() as conn:
            conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
            conn.read_only = True
            with conn.transaction(), conn.cursor() as cursor:
                # The first query fixes the snapshot; everything below reads that one.
                cursor.execute("SELECT now()")
                snapshot_at = cursor.fetchone()[0]
                cursor.execute(
                    sql.SQL("SELECT app, name FROM {} ORDER BY app, name").format(
                        sql.Identifier(schema_name, "django_migrations")
                    )
                )
                applied = [list(row) for row in cursor.fetchall()]
                for table, columns in schema_tables(cursor, schema_name):
                    rows, checksum = table_digest(cursor, schema_name, table, columns)
                    member = f"tables/{table}.copy"
                    with (
                        (scratch / f"{table}.copy").open("wb") as file,
                        cursor.copy(
                            sql.SQL("COPY {} ({}) TO STDOUT").format(
                                sql.Identifier(schema_name, table),
                                sql.SQL(", ").join(sql.Identifier(c) for c in columns),
                            )
                        ) as copy,
                    ):
                        for block in copy:
                            file.write(block)
                    tables.append({
                        "name": table, "columns": columns, "rows": rows, "checksum": checksum,
                        "member": member, "sha256": file_sha256(scratch / f"{table}.copy"),
                    })  # fmt: skip
                sequences = schema_sequences(cursor, schema_name)

        media = []
        root = media_root(schema_name)
        if root.is_dir():
            for path in sorted(p for p in root.rglob("*") if p.is_file()):
                relative = path.relative_to(root).as_posix()
                media.append({"member": f"media/{relative}", "sha256": file_sha256(path)})

        manifest = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "source": {"slug": tenant.slug, "schema": schema_name, "name": tenant.name},
            "created_at": timezone.now().isoformat(),
            "snapshot_at": snapshot_at.isoformat(),
            "migration_state": {
                # The migrations on disk of the DotMac that wrote the file (for information: the
                # schema's own state is `applied`, and that is what a restore goes by).
                "code_fingerprint": schemas.migration_fingerprint(),
                "applied": applied,
            },
            "tables": tables,
            "sequences": sequences,
            "media": media,
            **public_rows,
        }
        partial = output.with_name(output.name + ".partial")
        # Password hashes and personal data: readable by the operator's account only.
        partial.unlink(missing_ok=True)
        partial.touch(mode=0o600)
        with tarfile.open(partial, "w:gz") as archive:
            add_bytes(archive, MANIFEST, json.dumps(manifest, indent=1, default=str).encode())
            for table in tables:
                archive.add(scratch / f"{table['name']}.copy", arcname=table["member"])
            for item in media:
                archive.add(root / item["member"].removeprefix("media/"), arcname=item["member"])
        partial.replace(output)  # a backup that stopped half way never looks like a whole one
    logger.info("tenant %s backed up to %s (%d tables)", tenant.slug, output, len(tables))
    return output, manifest


# --- Migration state -----------------------------------------------------------------------------


def migration_targets(manifest: dict) -> list[tuple[str, str]] | None:
    """None when the backup is at this DotMac's migration state; otherwise the (app, migration)
    to migrate a new schema to so that it matches the backup. Raises for a newer backup.

    Decided from the migrations the backed-up schema had applied (not from the fingerprint of
    the code that wrote the file: a schema may lag behind its code until migrate_schemas runs).
    """
    state = manifest.get("migration_state") or {}
    applied = {tuple(item) for item in state.get("applied", []) if len(item) == 2}
    loader = MigrationLoader(None, ignore_no_migrations=True, load=True)
    unknown = sorted(applied - set(loader.graph.nodes))
    if unknown:
        shown = ", ".join(f"{app}.{name}" for app, name in unknown[:5])
        raise BackupError(
            f"the backup is from a newer DotMac (migrations this installation lacks: {shown}); "
            "upgrade DotMac first."
        )
    if schemas.expected_migrations(tuple(settings.TENANT_APPS)) <= applied:
        return None
    targets = []
    for app in sorted({app for app, _ in applied}):
        mine = [node for node in applied if node[0] == app]
        targets.append(max(mine, key=lambda node: len(loader.graph.forwards_plan(node))))
    return targets


def _migrate_to(schema_name: str, targets: list[tuple[str, str]]) -> None:
    """Migrate an empty schema to exactly `targets` (one migration plan, like migrate_schemas
    does for a schema: django_migrations created in the schema itself first)."""
    connection.set_schema(schema_name, include_public=False)
    MigrationRecorder(connection).ensure_schema()
    connection.set_schema(schema_name)
    try:
        MigrationExecutor(connection).migrate(targets)
    finally:
        connection.set_schema_to_public()


# --- Restore --------------------------------------------------------------------------------------


def _scratch_schema_create(targets: list[tuple[str, str]] | None) -> str:
    name = f"{SCRATCH_PREFIX}{secrets.token_hex(6)}"
    if targets is None:
        schemas.schema_create(name)  # a spare or a template clone: this DotMac's state
        return name
    connection.set_schema_to_public()
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE SCHEMA "{name}"')
    try:
        _migrate_to(name, targets)
    except BaseException:
        schemas.drop_schema(name)
        raise
    return name


def _load(archive: tarfile.TarFile, manifest: dict, schema_name: str) -> list[dict]:
    """Replace every row of the scratch schema with the backup's; verify; report per table."""
    with connection.cursor() as wrapper:
        cursor = wrapper.cursor  # psycopg's own, for sql.Composed and COPY
        present = dict(schema_tables(cursor, schema_name))
        for table in manifest["tables"]:
            if table["name"] not in present:
                raise BackupError(
                    f"table {table['name']} of the backup does not exist at its migration state."
                )
            lacking = set(table["columns"]) - set(present[table["name"]])
            if lacking:
                raise BackupError(f"table {table['name']} lacks columns {sorted(lacking)}.")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        if present:
            cursor.execute(
                sql.SQL("TRUNCATE {}").format(
                    sql.SQL(", ").join(sql.Identifier(schema_name, t) for t in present)
                )
            )
        for table in manifest["tables"]:
            statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
                sql.Identifier(schema_name, table["name"]),
                sql.SQL(", ").join(sql.Identifier(c) for c in table["columns"]),
            )
            with archive.extractfile(table["member"]) as source, cursor.copy(statement) as copy:
                for block in iter(lambda source=source: source.read(1 << 20), b""):
                    copy.write(block)
        known_sequences = {name for (name,) in _sequence_names(cursor, schema_name)}
        for sequence in manifest.get("sequences", []):
            if sequence["name"] not in known_sequences:
                continue
            target = sql.Identifier(schema_name, sequence["name"])
            if sequence["last_value"] is None:
                cursor.execute(sql.SQL("ALTER SEQUENCE {} RESTART").format(target))
            else:
                cursor.execute(
                    "SELECT setval(%s::regclass, %s, true)",
                    [target.as_string(cursor), int(sequence["last_value"])],
                )
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # foreign keys hold before we go on
        restored = schema_digests(cursor, schema_name)
    report, wrong = [], []
    expected = {table["name"]: table for table in manifest["tables"]}
    for name, digest in restored.items():
        want = expected.get(name)
        if want is None:  # a table the backup did not have (none at its state): stays empty
            ok = digest["rows"] == 0
        else:
            ok = digest["rows"] == want["rows"] and digest["checksum"] == want["checksum"]
        report.append({"name": name, **digest, "ok": ok})
        if not ok:
            wrong.append(name)
    if wrong:
        raise BackupError(f"restored rows differ from the backup in {', '.join(wrong[:5])}.")
    return report


def _sequence_names(cursor, schema_name: str):
    cursor.execute("SELECT sequencename FROM pg_sequences WHERE schemaname = %s", [schema_name])
    return cursor.fetchall()


def _restore_media(archive: tarfile.TarFile, manifest: dict, schema_name: str) -> int:
    root = media_root(schema_name)
    for item in manifest.get("media", []):
        target = root / item["member"].removeprefix("media/")
        target.parent.mkdir(parents=True, exist_ok=True)
        with archive.extractfile(item["member"]) as source, target.open("wb") as file:
            shutil.copyfileobj(source, file)
    return len(manifest.get("media", []))


def _subscriptions_recreate(tenant: Tenant, manifest: dict) -> list[str]:
    """The backup's live subscriptions, for the new tenant: trials as trials, the others as
    active from today (their billing history stays with the source tenant)."""
    made = []
    for item in manifest.get("subscriptions", []):
        if item["status"] == Subscription.Status.CANCELLED:
            continue
        plan = (
            Plan.objects.select_related("app")
            .filter(app__key=item["app"], key=item["plan"])
            .first()
        )
        if plan is None:
            logger.warning("restore of %s: plan %s/%s is gone", tenant.slug, item["app"],
                           item["plan"])  # fmt: skip
            continue
        status = (
            Subscription.Status.TRIAL
            if item["status"] == Subscription.Status.TRIAL
            else Subscription.Status.ACTIVE
        )
        subscription = subscription_create(
            tenant=tenant, plan=plan, status=status, actor="restore", note="Restored."
        )
        if item.get("feature_overrides") or item.get("limit_overrides"):
            subscription_set_overrides(
                subscription=subscription,
                features=item.get("feature_overrides") or {},
                limits=item.get("limit_overrides") or {},
                actor="restore",
            )
        made.append(f"{plan.app.key}:{plan.key}:{status}")
    return made


def tenant_restore(
    path: Path,
    *,
    slug: str,
    name: str | None = None,
    replace: bool = False,
    source_slug: str | None = None,
) -> RestoreReport:
    """Restore a backup file into the tenant `slug`: a new tenant, or (replace=True) the
    existing one's data replaced. With `source_slug`, the file must be a backup of that tenant.
    Nothing is written unless every table verifies."""
    manifest = backup_read_manifest(path)
    if source_slug is not None and manifest["source"]["slug"] != source_slug:
        raise BackupError(
            f"{path} is a backup of {manifest['source']['slug']!r}, not of {source_slug!r}."
        )
    targets = migration_targets(manifest)
    connection.set_schema_to_public()
    existing = Tenant.objects.filter(slug=slug).first()
    if existing is not None and not replace:
        raise BackupError(
            f"a tenant {slug!r} exists; restore into a new slug (--new-slug) or replace its data "
            "with --replace."
        )
    if existing is not None and (
        existing.is_public
        or existing.status in (Tenant.Status.PENDING, Tenant.Status.OFFBOARDED)
        or not schema_exists(existing.schema_name)
    ):
        raise BackupError(
            f"tenant {slug!r} cannot be replaced ({existing.status}, no schema of its own); "
            "restore into a new slug (--new-slug)."
        )
    if existing is None:
        candidate = Tenant(
            name=name or manifest["source"]["name"], slug=slug, schema_name=schema_name_for(slug)
        )
        try:
            candidate.full_clean(exclude=["status", "source"])
        except ValidationError as error:
            messages = "; ".join(m for ms in error.message_dict.values() for m in ms)
            raise BackupError(f"slug {slug!r}: {messages}") from error
        if schema_exists(candidate.schema_name):
            raise BackupError(f"a schema {candidate.schema_name} exists already.")

    seconds, clock = {}, time.monotonic()

    def lap(step: str) -> None:
        nonlocal clock
        seconds[step] = round(time.monotonic() - clock, 2)
        clock = time.monotonic()

    scratch = _scratch_schema_create(targets)
    lap("schema")
    try:
        with tarfile.open(path, "r:gz") as archive:
            with transaction.atomic():
                tables = _load(archive, manifest, scratch)
            lap("load_and_verify")
            if targets is not None:  # an older backup: bring it to this DotMac's state
                call_command(
                    "migrate_schemas", schema_name=scratch, tenant=True, interactive=False,
                    verbosity=0,
                )  # fmt: skip
                connection.set_schema_to_public()
                lap("migrate_forward")
            with transaction.atomic():
                tenant, made = _swap_in(scratch, manifest, existing, slug, name)
            media = _restore_media(archive, manifest, tenant.schema_name)
            lap("tenant_and_files")
    except BaseException:
        connection.set_schema_to_public()
        if schema_exists(scratch):
            schemas.drop_schema(scratch)
        raise
    logger.info("tenant %s restored from %s (%s)", slug, path, seconds)
    return RestoreReport(
        tenant=tenant, schema_name=tenant.schema_name, tables=tables,
        migrated_forward=targets is not None, media_files=media, subscriptions=made,
        seconds=seconds,
    )  # fmt: skip


def _swap_in(scratch, manifest, existing, slug, name) -> tuple[Tenant, list[str]]:
    """Give the verified scratch schema its tenant, in one transaction."""
    source = manifest["source"]
    note = f"Restored from a backup of {source['slug']} taken {manifest['snapshot_at']}."
    with connection.cursor() as cursor:
        if existing is not None:
            old = f"{SCRATCH_PREFIX}old_{secrets.token_hex(4)}"
            cursor.execute(f'ALTER SCHEMA "{existing.schema_name}" RENAME TO "{old}"')
            cursor.execute(f'ALTER SCHEMA "{scratch}" RENAME TO "{existing.schema_name}"')
            schemas.drop_schema(old)
            existing.status_reason = note
            existing.save(update_fields=["status_reason", "updated_at"])
            audit_record(action="restore", instance=existing, changes={"backup": [None, note]})
            return existing, []
        schema_name = schema_name_for(slug)
        cursor.execute(f'ALTER SCHEMA "{scratch}" RENAME TO "{schema_name}"')
    tenant = Tenant.objects.create(
        name=name or source["name"],
        slug=slug,
        schema_name=schema_name,
        status=Tenant.Status.ACTIVE,
        status_reason=note,
        source=Tenant.Source.SYSTEM,
        provisioned_at=timezone.now(),
        provisioning_step="restored",
    )
    audit_created(tenant, actor="restore")
    Domain.objects.create(domain=tenant_host(slug), tenant=tenant, is_primary=True)
    made = _subscriptions_recreate(tenant, manifest)
    return tenant, made
