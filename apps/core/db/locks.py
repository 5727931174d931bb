"""A named lock held across transactions: `with held("provision:7") as mine: if mine: ...`.

On a direct PostgreSQL connection it is a session advisory lock (pg_try_advisory_lock), gone
with the connection if the process dies. Behind pgbouncer in transaction mode (POOLER) a session
lock stays on the server connection that took it, while the next statement, the unlock
included, may run on another: the lock would never be released. There it is a lease row in the
public schema instead (INSERT ... ON CONFLICT, each statement its own transaction), which a
holder that died leaves behind only until it runs out (`lease`).

Never blocks: a lock held elsewhere yields False at once.
"""

import contextlib
import secrets
from collections.abc import Iterator
from datetime import timedelta

from django.db import DEFAULT_DB_ALIAS, connections
from django.utils import timezone

__all__ = ["held"]

#: How long a lease lasts behind the pooler: longer than anything done under one (provisioning
#: a tenant, refreshing the template, cloning the spare schemas).
LEASE = timedelta(minutes=15)

_TAKE = """
INSERT INTO public.core_lease (name, holder, expires_at) VALUES (%s, %s, %s)
ON CONFLICT (name) DO UPDATE SET holder = EXCLUDED.holder, expires_at = EXCLUDED.expires_at
    WHERE public.core_lease.expires_at < %s
RETURNING holder
"""


@contextlib.contextmanager
def held(name: str, lease: timedelta = LEASE, using: str = DEFAULT_DB_ALIAS) -> Iterator[bool]:
    connection = connections[using]
    if connection.settings_dict.get("POOLER") == "pgbouncer":
        with _leased(connection, name, lease) as mine:
            yield mine
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(hashtext(%s))", [name])
        mine = cursor.fetchone()[0]
    try:
        yield mine
    finally:
        if mine:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(hashtext(%s))", [name])


@contextlib.contextmanager
def _leased(connection, name: str, lease: timedelta) -> Iterator[bool]:
    holder, now = secrets.token_hex(16), timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(_TAKE, [name, holder, now + lease, now])
        row = cursor.fetchone()
    mine = row is not None and row[0] == holder
    try:
        yield mine
    finally:
        if mine:
            with connection.cursor() as cursor:
                cursor.execute(
                    "DELETE FROM public.core_lease WHERE name = %s AND holder = %s", [name, holder]
                )
