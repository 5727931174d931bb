"""The tenant backup file: its format, its manifest, and the per-table checksums that both
the backup (in its snapshot) and the restore (after loading) compute the same way.

A backup is one gzipped tar file:
- `manifest.json`: format and version, the source tenant (slug, schema, name), its migration
  state (every row of its django_migrations), the time, and per table its columns, row count
  and checksum, plus the sha256 of every other member; the tenant's subscriptions and domains;
- `tables/<table>.copy`: each table's rows in PostgreSQL's COPY text format;
- `media/<path>`: the tenant's uploaded files (under MEDIA_ROOT/tenants/<schema>/).

Reading a file checks it whole before anything is written: format and version, every member
present with its sha256, and every name the manifest hands to SQL or to the file system.
"""

import gzip
import hashlib
import io
import json
import re
import tarfile
import zlib
from collections.abc import Iterator
from pathlib import Path

from django.conf import settings
from django.utils import timezone
from psycopg import sql

FORMAT = "dotmac-tenant-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
# Names read back from a file are checked before they go near SQL: a manifest is input.
IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


class BackupError(Exception):
    """A backup cannot be written or a file cannot be restored; the message says why."""


# --- Reading a schema ---------------------------------------------------------------------------


def schema_tables(cursor, schema_name: str) -> list[tuple[str, list[str]]]:
    """The schema's tables, each with its writable columns in physical order."""
    cursor.execute(
        """
        SELECT c.relname, array_agg(a.attname::text ORDER BY a.attnum)
        FROM pg_class c
        JOIN pg_namespace n ON n.oid = c.relnamespace
        JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
             AND a.attgenerated = ''
        WHERE n.nspname = %s AND c.relkind = 'r'
        GROUP BY c.relname ORDER BY c.relname
        """,
        [schema_name],
    )
    return [(name, list(columns)) for name, columns in cursor.fetchall()]


def table_digest(cursor, schema_name: str, table: str, columns: list[str]) -> tuple[int, str]:
    """Row count and md5 of the rows' text, ordered (byte order), columns taken by name so that
    the physical column order of the schema does not matter."""
    row = sql.SQL("ROW({})::text").format(
        sql.SQL(", ").join(sql.Identifier(column) for column in sorted(columns))
    )
    cursor.execute(
        sql.SQL(
            "SELECT count(*), md5(coalesce(string_agg({row}, E'\\n' ORDER BY {row} COLLATE \"C\"),"
            " '')) FROM {table}"
        ).format(row=row, table=sql.Identifier(schema_name, table))
    )
    count, digest = cursor.fetchone()
    return count, digest


def schema_digests(cursor, schema_name: str) -> dict[str, dict]:
    """{table: {"rows", "checksum"}} for every table of the schema."""
    digests = {}
    for table, columns in schema_tables(cursor, schema_name):
        rows, checksum = table_digest(cursor, schema_name, table, columns)
        digests[table] = {"rows": rows, "checksum": checksum}
    return digests


def schema_sequences(cursor, schema_name: str) -> list[dict]:
    cursor.execute(
        "SELECT sequencename, last_value FROM pg_sequences WHERE schemaname = %s"
        " ORDER BY sequencename",
        [schema_name],
    )
    return [{"name": name, "last_value": value} for name, value in cursor.fetchall()]


def media_root(schema_name: str) -> Path:
    return Path(settings.MEDIA_ROOT) / (settings.MULTITENANT_RELATIVE_MEDIA_ROOT % schema_name)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def add_bytes(archive: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = int(timezone.now().timestamp())
    archive.addfile(info, io.BytesIO(data))


# --- Reading a backup file -----------------------------------------------------------------------


def backup_read_manifest(path: Path) -> dict:
    """The manifest of a backup file, after checking that the file is whole: a DotMac tenant
    backup of a known format version, every member present with the sha256 the manifest says."""
    path = Path(path)
    if not path.is_file():
        raise BackupError(f"{path}: no such file.")
    try:
        with tarfile.open(path, "r:gz") as archive:
            manifest = _manifest(archive)
            expected = {item["member"]: item["sha256"] for item in _members(manifest)}
            seen = set()
            for info in archive:
                if info.name == MANIFEST:
                    continue
                if info.name not in expected or not info.isfile():
                    raise BackupError(f"{path}: unexpected member {info.name!r}.")
                digest = hashlib.sha256()
                with archive.extractfile(info) as file:
                    for block in iter(lambda file=file: file.read(1 << 20), b""):
                        digest.update(block)
                if digest.hexdigest() != expected[info.name]:
                    raise BackupError(f"{path}: {info.name} is damaged (checksum differs).")
                seen.add(info.name)
    except (tarfile.TarError, EOFError, OSError, gzip.BadGzipFile, zlib.error) as error:
        raise BackupError(
            f"{path} is not a whole DotMac tenant backup (truncated or damaged: {error})."
        ) from error
    missing = sorted(set(expected) - seen)
    if missing:
        raise BackupError(f"{path} is incomplete: {', '.join(missing[:5])} missing.")
    return manifest


def _manifest(archive: tarfile.TarFile) -> dict:
    try:
        member = archive.extractfile(MANIFEST)
    except KeyError:
        member = None
    if member is None:
        raise BackupError("not a DotMac tenant backup (no manifest).")
    try:
        manifest = json.loads(member.read())
    except ValueError as error:
        raise BackupError(f"the manifest is not JSON ({error}).") from error
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError("not a DotMac tenant backup (unknown manifest format).")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise BackupError(
            f"backup format version {manifest.get('format_version')!r}; this DotMac reads "
            f"version {FORMAT_VERSION}."
        )
    _check_shape(manifest)
    for table in manifest.get("tables", []):
        names = [table.get("name"), *table.get("columns", [])]
        if not all(isinstance(n, str) and IDENTIFIER.match(n) for n in names):
            raise BackupError("the manifest names a table or column DotMac never creates.")
        if table.get("member") != f"tables/{table['name']}.copy":
            raise BackupError(f"the manifest's member for {table['name']} is not its own.")
    for item in manifest.get("media", []):
        relative = item.get("member", "").removeprefix("media/")
        parts = Path(relative).parts
        if not item.get("member", "").startswith("media/") or not parts or ".." in parts:
            raise BackupError(f"the manifest names a file outside the tenant's media: {relative}")
        if Path(relative).is_absolute():
            raise BackupError(f"the manifest names an absolute path: {relative}")
    return manifest


def _check_shape(manifest: dict) -> None:
    """The fields a restore reads, of the types it reads them as (a manifest is input)."""
    source = manifest.get("source")
    problems = []
    if not isinstance(source, dict) or not all(
        isinstance(source.get(key), str) for key in ("slug", "schema", "name")
    ):
        problems.append("source")
    if not isinstance(manifest.get("snapshot_at"), str):
        problems.append("snapshot_at")
    for key in ("tables", "sequences", "media", "subscriptions"):
        items = manifest.get(key, [])
        if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
            problems.append(key)
    for table in manifest.get("tables", []) if "tables" not in problems else []:
        if not (
            isinstance(table.get("columns"), list)
            and isinstance(table.get("rows"), int)
            and isinstance(table.get("checksum"), str)
            and isinstance(table.get("sha256"), str)
        ):
            problems.append(f"tables.{table.get('name')}")
    for sequence in manifest.get("sequences", []) if "sequences" not in problems else []:
        value = sequence.get("last_value")
        if not isinstance(sequence.get("name"), str) or not isinstance(value, int | None):
            problems.append("sequences")
            break
    state = manifest.get("migration_state")
    if not isinstance(state, dict) or not isinstance(state.get("applied"), list):
        problems.append("migration_state")
    if problems:
        raise BackupError(f"the manifest is malformed ({', '.join(problems[:5])}).")


def _members(manifest: dict) -> Iterator[dict]:
    yield from manifest.get("tables", [])
    yield from manifest.get("media", [])
