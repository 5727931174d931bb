"""Tenant schemas made fast: a migrated template, a pool of spares cloned from it, and a
migration fingerprint that says whether a schema is current.

A new tenant's schema is, in order of preference:
1. a spare (already cloned from the template) renamed to the tenant's name: a catalog update,
   milliseconds;
2. a clone of the template (django-tenants' clone_schema): about a second;
3. a plain migration of an empty schema: several seconds.
The pool is refilled in the background after each use (`spares_replenish`).
"""

import functools
import hashlib
import logging
import secrets

from django.conf import settings
from django.db import connection, transaction
from django_tenants.clone import CloneSchema
from django_tenants.postgresql_backend.base import _check_schema_name
from django_tenants.utils import schema_exists

from apps.core.db.locks import held
from apps.platform.tenants.models import SpareSchema

logger = logging.getLogger(__name__)

SPARE_PREFIX = "spare_"


def template_schema() -> str:
    return settings.TENANT_BASE_SCHEMA


@functools.cache
def migration_fingerprint() -> str:
    """A hash of every migration of the tenant apps: schemas cloned at a different
    fingerprint are out of date."""

    nodes = sorted(
        f"{app}.{name}" for app, name in expected_migrations(tuple(settings.TENANT_APPS))
    )
    return hashlib.sha256("\n".join(nodes).encode()).hexdigest()[:32]


@functools.cache
def expected_migrations(app_names: tuple[str, ...] | list[str]) -> frozenset[tuple[str, str]]:
    """Every (app_label, migration) on disk for these apps (module names as in settings)."""
    from django.apps import apps
    from django.db.migrations.loader import MigrationLoader

    labels = {config.label for config in apps.get_app_configs() if config.name in app_names}
    loader = MigrationLoader(None, ignore_no_migrations=True, load=True)
    return frozenset(key for key in loader.graph.nodes if key[0] in labels)


def schemas_behind(schema_names: list[str], app_names) -> list[str]:
    """The schemas whose django_migrations lacks a migration of `app_names` (one query each)."""
    expected = expected_migrations(tuple(app_names))
    behind = []
    with connection.cursor() as cursor:
        for schema_name in schema_names:
            _check_schema_name(schema_name)
            cursor.execute("SELECT to_regclass(%s)", [f'"{schema_name}".django_migrations'])
            if cursor.fetchone()[0] is None:
                behind.append(schema_name)
                continue
            cursor.execute(f'SELECT app, name FROM "{schema_name}".django_migrations')
            if not expected <= set(cursor.fetchall()):
                behind.append(schema_name)
    return behind


def _schema_comment(schema_name: str) -> str | None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT obj_description(oid, 'pg_namespace') FROM pg_namespace WHERE nspname = %s",
            [schema_name],
        )
        row = cursor.fetchone()
    return row[0] if row else None


def _set_fingerprint(schema_name: str, fingerprint: str) -> None:
    _check_schema_name(schema_name)
    with connection.cursor() as cursor:
        cursor.execute(f'COMMENT ON SCHEMA "{schema_name}" IS %s', [fingerprint])


def template_is_current() -> bool:
    return _schema_comment(template_schema()) == migration_fingerprint()


def template_refresh(verbosity: int = 0) -> bool:
    """Create or migrate the template schema; True when it had to change."""
    from django.core.management import call_command

    name = template_schema()
    if template_is_current():
        return False
    connection.set_schema_to_public()
    if not schema_exists(name):
        with connection.cursor() as cursor:
            cursor.execute(f'CREATE SCHEMA "{name}"')
    call_command(
        "migrate_schemas", schema_name=name, tenant=True, interactive=False, verbosity=verbosity
    )
    connection.set_schema_to_public()
    _set_fingerprint(name, migration_fingerprint())
    logger.info("template schema %s migrated", name)
    return True


def drop_schema(schema_name: str) -> None:
    _check_schema_name(schema_name)
    if schema_name in ("public", template_schema()):
        raise ValueError(f"refusing to drop {schema_name}")
    with connection.cursor() as cursor:
        # Inside a transaction that also wrote to the schema, deferred foreign-key checks
        # must fire before its tables can go.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(f'DROP SCHEMA IF EXISTS "{schema_name}" CASCADE')


class _TemplateClone(CloneSchema):
    """django-tenants' clone, with its SQL function (4,600 lines) created once per process and
    database instead of before every clone: re-created each time, it made every further clone
    of a long-lived worker slower (benchmarks/provisioning.py: 259 → 746 ms over 40 clones;
    created once: flat at about 180 ms)."""

    _refreshed: set = set()

    def _create_clone_schema_function(self):
        database = connection.settings_dict["NAME"]
        if database in self._refreshed:
            # Still there? (A rolled-back transaction may have taken it away.)
            with connection.cursor() as cursor:
                cursor.execute("SELECT to_regproc('public.clone_schema') IS NOT NULL")
                if cursor.fetchone()[0]:
                    return
        super()._create_clone_schema_function()
        self._refreshed.add(database)


#: The unique constraints of `target` whose name differs from the same constraint (same table,
#: same definition) of `source`, where that name is free on the table.
_MISNAMED_UNIQUE = """
SELECT t.relname, tc.conname, sc.conname
FROM pg_constraint tc
JOIN pg_class t ON t.oid = tc.conrelid
JOIN pg_namespace tn ON tn.oid = t.relnamespace AND tn.nspname = %(target)s
JOIN pg_namespace sn ON sn.nspname = %(source)s
JOIN pg_class s ON s.relname = t.relname AND s.relnamespace = sn.oid
JOIN pg_constraint sc ON sc.conrelid = s.oid AND sc.contype = 'u'
    AND pg_get_constraintdef(sc.oid) = pg_get_constraintdef(tc.oid)
WHERE tc.contype = 'u' AND tc.conname <> sc.conname
  AND NOT EXISTS (
    SELECT 1 FROM pg_constraint other WHERE other.conrelid = tc.conrelid
    AND other.conname = sc.conname
  )
ORDER BY 1, 2
"""


def constraint_names_repair(target: str, source: str | None = None) -> int:
    """Give `target`'s unique constraints the names the migrations gave them (those of the
    template, or `source`). django-tenants' clone_schema re-creates a unique constraint under
    PostgreSQL's default name (`isp_usageday_service_id_day_key` for
    `isp_usageday_once_per_day`), so a later migration that drops or alters it by name failed
    on every cloned schema. Returns how many were renamed."""
    source = source or template_schema()
    _check_schema_name(target)
    with connection.cursor() as cursor:
        cursor.execute(_MISNAMED_UNIQUE, {"target": target, "source": source})
        misnamed = cursor.fetchall()
        for table, wrong, right in misnamed:
            cursor.execute(
                f'ALTER TABLE "{target}"."{table}" RENAME CONSTRAINT "{wrong}" TO "{right}"'
            )
    return len(misnamed)


def _clone_template(target: str) -> None:
    _TemplateClone().clone_schema(template_schema(), target, "DATA", set_connection=True)
    connection.set_schema_to_public()
    constraint_names_repair(target)


def schema_create(schema_name: str) -> str:
    """Create a tenant's schema at the current migration state; returns how it was made."""
    _check_schema_name(schema_name)
    fingerprint = migration_fingerprint()
    connection.set_schema_to_public()
    with transaction.atomic():
        spare = (
            SpareSchema.objects.select_for_update(skip_locked=True)
            .filter(fingerprint=fingerprint)
            .first()
        )
        if spare is not None:
            with connection.cursor() as cursor:
                cursor.execute(f'ALTER SCHEMA "{spare.schema_name}" RENAME TO "{schema_name}"')
            spare.delete()
            return "spare"
    if template_is_current():
        _clone_template(schema_name)
        return "clone"
    from django.core.management import call_command

    with connection.cursor() as cursor:
        cursor.execute(f'CREATE SCHEMA "{schema_name}"')
    call_command(
        "migrate_schemas", schema_name=schema_name, tenant=True, interactive=False, verbosity=0
    )
    connection.set_schema_to_public()
    return "migrate"


def spares_replenish(target: int | None = None) -> dict:
    """Drop out-of-date spares and clone new ones until the pool holds `target`."""
    target = settings.SPARE_SCHEMAS if target is None else target
    connection.set_schema_to_public()
    with held("dotmac:spares") as mine:
        if not mine:
            return {"skipped": True}
        try:
            fingerprint = migration_fingerprint()
            dropped = spares_drop_stale()
            created = 0
            if target and not template_is_current():
                template_refresh()
            while SpareSchema.objects.filter(fingerprint=fingerprint).count() < target:
                name = f"{SPARE_PREFIX}{secrets.token_hex(6)}"
                _clone_template(name)
                SpareSchema.objects.create(schema_name=name, fingerprint=fingerprint)
                created += 1
            return {"dropped": dropped, "created": created}
        finally:
            connection.set_schema_to_public()


def spares_drop_stale() -> int:
    """Drop the spares cloned at another migration state; they must never be handed out."""
    connection.set_schema_to_public()
    dropped = 0
    for spare in SpareSchema.objects.exclude(fingerprint=migration_fingerprint()):
        drop_schema(spare.schema_name)
        spare.delete()
        dropped += 1
    return dropped
