"""Set-based writes for the services that handle thousands of rows at once (billing runs,
payment imports): COPY for inserts, one UPDATE … FROM unnest(…) for many rows, audit entries
copied in bulk. They run in the caller's transaction and schema, and write exactly the rows the
row-by-row services would."""

import datetime

from django.db import connection
from psycopg.types.json import Jsonb

from apps.core.audit import _current_request_id, resolve_actor
from apps.core.context import ip_var, source_var
from apps.core.models import AuditEntry

TIMELINE_COLUMNS = ("customer_id", "kind", "message", "data", "actor", "created_at")
AUDIT_COLUMNS = (
    "created_at", "actor", "actor_id", "actor_type", "tenant", "action", "object_type",
    "object_id", "object_repr", "changes", "request_id", "ip", "source",
)  # fmt: skip


def new_ids(model, count: int) -> list[int]:
    """`count` ids of `model`'s identity sequence, so rows can be copied with their ids."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [model._meta.db_table, count],
        )
        return [row[0] for row in cursor.fetchall()]


def copy_rows(model, columns: tuple[str, ...], rows: list[tuple]) -> None:
    """COPY rows into `model`'s table (in the connection's schema): the fastest bulk insert."""
    if not rows:
        return
    names = ", ".join(f'"{name}"' for name in columns)
    statement = f'COPY "{model._meta.db_table}" ({names}) FROM STDIN'
    with connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row(row)


def update_many(model, ids: list[int], columns: dict[str, tuple[str, list]], add=()) -> None:
    """One UPDATE setting each of `columns` ({name: (sql type, values)}, values in the order of
    `ids`) for many rows; names in `add` are added to instead of set."""
    if not ids:
        return
    names = list(columns)
    sets = ", ".join(
        f'"{name}" = t."{name}" + v."{name}"' if name in add else f'"{name}" = v."{name}"'
        for name in names
    )
    if any(field.name == "updated_at" for field in model._meta.fields):
        sets += ', "updated_at" = now()'
    arrays = ", ".join(["%s::bigint[]"] + [f"%s::{columns[name][0]}[]" for name in names])
    aliases = ", ".join(["id"] + [f'"{name}"' for name in names])
    with connection.cursor() as cursor:
        cursor.execute(
            f'UPDATE "{model._meta.db_table}" AS t SET {sets} '
            f"FROM unnest({arrays}) AS v({aliases}) WHERE t.id = v.id",
            [list(ids)] + [list(columns[name][1]) for name in names],
        )


def audit_copy(entries: list[tuple], *, actor=None, now: datetime.datetime) -> None:
    """Audit entries (action, object type, object id, object repr, changes), as audit_record
    would write them one by one: same actor, tenant, request id, IP and source."""
    who = resolve_actor(actor)
    head = (now, who.name[:150], who.id, who.type, connection.schema_name)
    tail = (_current_request_id(), ip_var.get(), source_var.get())
    copy_rows(
        AuditEntry,
        AUDIT_COLUMNS,
        [
            (*head, action, kind, str(pk), str(text)[:200], Jsonb(changes), *tail)
            for action, kind, pk, text, changes in entries
        ],
    )
