"""The backend skips the per-request `SELECT 1` on a recently used connection, not an idle one,
and prepares the statements of `prepared_cursor()` only."""

import time

import pytest
from django.db import connections

pytestmark = pytest.mark.django_db  # the test database; the test uses a connection of its own


@pytest.fixture
def own_connection(django_db_blocker, monkeypatch):
    with django_db_blocker.unblock():
        conn = connections.create_connection("default")
        checks = []
        real_is_usable = conn.is_usable

        def counting_is_usable():
            checks.append(1)
            return real_is_usable() and not conn.server_restarted

        monkeypatch.setattr(conn, "is_usable", counting_is_usable)
        conn.checks = checks
        conn.server_restarted = False
        try:
            yield conn
        finally:
            conn.close()


def new_request(conn):
    """What Django does at request start and end: re-arm the health check."""
    conn.close_if_unusable_or_obsolete()


def query(conn):
    with conn.cursor() as cursor:
        cursor.execute("SELECT 1")


def test_recently_used_connection_is_not_checked(own_connection, settings):
    settings.DB_HEALTH_CHECK_DELAY = 5
    query(own_connection)

    new_request(own_connection)
    query(own_connection)

    assert own_connection.checks == []


def test_idle_connection_is_checked_and_a_dead_one_replaced(own_connection, settings):
    settings.DB_HEALTH_CHECK_DELAY = 5
    query(own_connection)
    first_pid = own_connection.connection.info.backend_pid
    own_connection._last_used = time.monotonic() - 6  # idle for longer than the delay
    own_connection.server_restarted = True

    new_request(own_connection)
    query(own_connection)

    assert own_connection.checks == [1]
    assert own_connection.connection.info.backend_pid != first_pid


def test_zero_delay_checks_every_request_like_django(own_connection, settings):
    settings.DB_HEALTH_CHECK_DELAY = 0
    query(own_connection)

    for _ in range(3):
        new_request(own_connection)
        query(own_connection)

    assert own_connection.checks == [1, 1, 1]


def prepared_statements(conn) -> list[str]:
    with conn.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [row[0] for row in cursor.fetchall()]


LOOKUP = "SELECT count(*) FROM pg_class WHERE relname = %(name)s AND relkind = %(kind)s"


def test_a_prepared_cursor_prepares_its_statement_once_and_reuses_it(own_connection):
    own_connection.set_schema_to_public()
    for name in ("pg_class", "pg_type", "nothing"):
        with own_connection.prepared_cursor() as cursor:
            cursor.execute(LOOKUP, {"name": name, "kind": "r"})
            counted = cursor.fetchone()[0]
        assert counted == (0 if name == "nothing" else 1)
    with own_connection.cursor() as cursor:  # Django's own: bound client-side, never prepared
        for _ in range(10):
            cursor.execute("SELECT count(*) FROM pg_type WHERE typname = %s", ["int4"])

    own_connection.force_debug_cursor = True  # what Django logs and tests count
    with own_connection.prepared_cursor() as cursor:
        cursor.execute(LOOKUP, {"name": "pg_class", "kind": "r"})
    logged = own_connection.queries[-1]["sql"]
    statements = prepared_statements(own_connection)

    assert len(statements) == 1
    assert "relname = $1 AND relkind = $2" in statements[0]
    assert logged == "SELECT count(*) FROM pg_class WHERE relname = 'pg_class' AND relkind = 'r'"


def test_prepared_statements_can_be_turned_off_for_a_pooler(own_connection, settings):
    settings.DB_PREPARED_STATEMENTS = False
    own_connection.set_schema_to_public()
    for _ in range(3):
        with own_connection.prepared_cursor() as cursor:
            cursor.execute(LOOKUP, {"name": "pg_class", "kind": "r"})

    assert prepared_statements(own_connection) == []


def test_a_prepared_statement_follows_the_tenant_schema(own_connection, tenant_a, tenant_b):
    """Prepared in one tenant's schema, executed in another's: PostgreSQL plans it again for
    the new search_path, so each tenant reads its own table (in a transaction rolled back)."""
    own_connection.set_autocommit(False)
    try:
        own_connection.set_tenant(tenant_b)
        with own_connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO isp_nasattribute (nas_type, attribute, value)"
                " VALUES ('other', 'B-Only', '1')"
            )
        counts = []
        for tenant in (tenant_a, tenant_b, tenant_a, tenant_b):
            own_connection.set_tenant(tenant)
            with own_connection.prepared_cursor() as cursor:
                cursor.execute(
                    "SELECT count(*) FROM isp_nasattribute WHERE attribute = %(name)s",
                    {"name": "B-Only"},
                )
                counts.append(cursor.fetchone()[0])
        statements = prepared_statements(own_connection)
    finally:
        own_connection.rollback()
        own_connection.set_autocommit(True)

    assert counts == [0, 1, 0, 1]
    assert sum("isp_nasattribute" in statement for statement in statements) == 1
