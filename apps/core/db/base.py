"""DotMac's database backend: django-tenants' PostgreSQL backend with a cheaper health check and
prepared statements on demand.

With CONN_HEALTH_CHECKS, Django sends `SELECT 1` before the first query of every request that
reuses a persistent connection: one extra round trip per request. Like pgbouncer's
`server_check_delay`, a connection that was used within the last DB_HEALTH_CHECK_DELAY seconds
is trusted as it is; an idle one is still checked, so a database restart is noticed before the
first request after a quiet spell, and a busy worker's broken connection is discarded at the end
of the request that hit the error (Django closes connections that raised errors).

Django's cursors bind parameters client-side and never prepare (a connection pooler in
transaction mode cannot keep a statement prepared on one server connection for the next
client). A hot path whose query costs more to plan than to run (RADIUS: an Access-Request's
login lookup plans in 0.2 ms and runs in 0.05) asks for `prepared_cursor()` instead: its
parameterised statements are bound server-side and prepared on the connection at first use,
then only executed. PostgreSQL plans a prepared statement again when the search_path (the
tenant) or a table it reads changes. DB_PREPARED_STATEMENTS=false turns it off (behind
pgbouncer older than 1.21 in transaction mode, which does not track prepared statements).

Behind pgbouncer in transaction mode (DATABASE_POOLER=pgbouncer), a server connection belongs
to a client for one transaction only; in autocommit every statement is one. django-tenants
sends `SET search_path` once when the tenant changes: the next statement may run on another
server connection, whose search_path another client set (django-tenants #732: a tenant reading
another's rows). There, every statement this process sends carries its search_path in the
same message (`SET search_path = ...; <statement>`, one simple-protocol query, which PostgreSQL
runs as one implicit transaction and pgbouncer on one server connection), so that no statement
ever depends on what a previous one left on the connection. Prepared statements and server-side
cursors are off there (pgbouncer 1.18 keeps neither across transactions).
"""

import time
import weakref

import psycopg
from django.conf import settings
from django.db.backends.postgresql.base import TIMESTAMPTZ_OID, Cursor
from django.db.backends.postgresql.psycopg_any import register_tzloader
from django_tenants.postgresql_backend.base import DatabaseWrapper as TenantDatabaseWrapper
from django_tenants.utils import quote_schema_name
from psycopg.pq import Format


class _PreparingCursor(psycopg.Cursor):
    """Server-side binding; a statement with parameters is prepared (one without, such as
    django-tenants' `SET search_path`, is sent as it is: utility statements cannot be)."""

    def execute(self, query, params=None, *, prepare=None, binary=None):
        if prepare is None and params is not None:
            prepare = True
        return super().execute(query, params, prepare=prepare, binary=binary)


class _PooledCursor(Cursor):
    """Django's client-side cursor sending each statement with the connection's search_path
    (DATABASE_POOLER=pgbouncer; see the module). `wrapper` is set on a per-connection class."""

    wrapper = None

    def execute(self, query, params=None, *, prepare=None, binary=None):
        prefix = self.wrapper._search_path_statement()
        if prefix is None:
            return super().execute(query, params, prepare=prepare, binary=binary)
        if isinstance(query, bytes):
            query = query.decode()
        elif not isinstance(query, str):  # psycopg.sql.Composed
            query = query.as_string(self)
        super().execute(f"{prefix}; {query}", params, prepare=False, binary=binary)
        self.nextset()  # the statement's own result, not the SET's
        return self

    def executemany(self, query, params_seq, *, returning=False):
        for params in params_seq:  # each one with its search_path
            self.execute(query, params)


class DatabaseOperations(TenantDatabaseWrapper.ops_class):
    def last_executed_query(self, cursor, sql, params):
        if isinstance(cursor, _PreparingCursor):  # as a client-side cursor would have sent it
            try:
                return self.compose_sql(sql, params)
            except (TypeError, ValueError, psycopg.Error):
                return sql
        return super().last_executed_query(cursor, sql, params)


class DatabaseWrapper(TenantDatabaseWrapper):
    ops_class = DatabaseOperations
    _last_used: float | None = None
    _preparing = False

    def close_if_health_check_failed(self):
        delay = getattr(settings, "DB_HEALTH_CHECK_DELAY", 0)
        if (
            self.connection is not None
            and not self.health_check_done
            and self._last_used is not None
            and time.monotonic() - self._last_used < delay
        ):
            self.health_check_done = True
            return
        super().close_if_health_check_failed()

    def _cursor(self, name=None):
        cursor = super()._cursor(name)
        self._last_used = time.monotonic()
        return cursor

    def prepared_cursor(self):
        """A cursor (Django's wrapper: its errors, its queries logged and counted as any other)
        whose parameterised statements are prepared on this connection."""
        if not getattr(settings, "DB_PREPARED_STATEMENTS", True) or self._pooled():
            return self.cursor()
        self._preparing = True
        try:
            return self.cursor()
        finally:
            self._preparing = False

    def get_new_connection(self, conn_params):
        connection = super().get_new_connection(conn_params)
        # Django turns psycopg's preparing off (None), which refuses even an explicit
        # `prepare=True`. Never on psycopg's own count either: only what asks is prepared
        # (Django's client-side cursors never do).
        connection.prepare_threshold = 2**31 - 1
        if self._pooled():
            connection.cursor_factory = type(
                "PooledCursor", (_PooledCursor,), {"wrapper": weakref.proxy(self)}
            )
        return connection

    def _pooled(self) -> bool:
        """Whether this connection goes through pgbouncer in transaction mode (the alias's
        POOLER, settings.DATABASE_POOLER for the default one)."""
        return self.settings_dict.get("POOLER") == "pgbouncer"

    def _search_path_statement(self) -> str | None:
        """The `SET search_path` of the schema this connection is set to (None: none set)."""
        if not self.schema_name:
            return None
        key = (self.schema_name, self.include_public_schema)
        cached = self.__dict__.get("_search_path_sql")
        if cached is None or cached[0] != key:
            schemas = ",".join(quote_schema_name(name) for name in self._get_cursor_search_paths())
            cached = self._search_path_sql = (key, f"SET search_path = {schemas}")
        return cached[1]

    def create_cursor(self, name=None):
        if not (self._preparing and name is None):
            return super().create_cursor(name)
        cursor = _PreparingCursor(self.connection)
        tzloader = self.connection.adapters.get_loader(TIMESTAMPTZ_OID, Format.TEXT)
        if self.timezone != tzloader.timezone:  # as Django's create_cursor
            register_tzloader(self.timezone, cursor)
        return cursor

    def close(self):
        self._last_used = None
        super().close()
